"""The `standin` pytest fixture: a fresh stand-in per test, stopped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.standin.server import StandIn


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()
