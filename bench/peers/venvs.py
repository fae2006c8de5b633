"""The peers' virtual environments: built once under a cache directory (never committed),
each from the package index with pip, and reused while the requirements are the same."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

# What each peer installs. Lower bounds only: the bench measures the release a team would get
# today, and records the versions it ran in the results.
REQUIREMENTS = {
    "gradio": ["gradio>=5.0", "openai>=1.40"],
    "chainlit": ["chainlit>=2.0", "openai>=1.40"],
}
CACHE = Path(os.environ.get("GPTPROTO_BENCH_CACHE", Path.home() / ".cache" / "gptproto-bench"))


def venv_python(name: str) -> Path:
    """The peer's interpreter, its environment built first when missing or out of date."""
    requirements = REQUIREMENTS[name]
    digest = hashlib.sha256(json.dumps([sys.version_info[:2], requirements]).encode()).hexdigest()[:12]
    home = CACHE / "venvs" / f"{name}-{digest}"
    python = home / "bin" / "python"
    if not (home / "ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *requirements],
            check=True,
            stdout=sys.stderr,
        )
        (home / "ready").write_text("\n".join(requirements) + "\n")
    return python


def versions(name: str) -> dict[str, str]:
    """The installed versions of the peer's own requirements."""
    script = (
        "import importlib.metadata as m, json, sys;print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    )
    names = [r.split(">")[0].split("=")[0] for r in REQUIREMENTS[name]]
    found = subprocess.run(
        [str(venv_python(name)), "-c", script, *names], check=True, capture_output=True, text=True
    )
    result: dict[str, str] = json.loads(found.stdout)
    return result


if __name__ == "__main__":
    for peer in sys.argv[1:] or list(REQUIREMENTS):
        print(peer, versions(peer))
