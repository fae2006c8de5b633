"""A unit run loads no browser machinery: Playwright (and its driver) is for the tests that open
a page, and collecting the unit tests must not pay for it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

_COLLECT = """
import json, sys
import pytest
code = pytest.main(["tests/unit", "--collect-only", "-q", "-p", "no:cacheprovider"])
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "playwright")
print(json.dumps({"code": int(code), "playwright": loaded}))
"""


def test_collecting_the_unit_tests_imports_no_playwright():
    # A fresh interpreter, so that nothing this session already imported counts; collecting
    # imports the root conftest and every unit test module, which is where an import would be.
    done = subprocess.run(
        [sys.executable, "-c", _COLLECT], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "playwright": []}
