"""The recipe's proxies as real processes for the tests: Debian's caddy running deploy/Caddyfile and
Debian's nginx running deploy/nginx.conf (its ports filled in), each in front of whatever
upstream the test gives, and a small upstream that records every request it receives and also
answers as the sign-in service (oauth2-proxy's /oauth2/auth)."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devtools.browser import free_port
from devtools.process import stop_process
from tests.fleet.conftest import ROOT, fleet_env
from tests.waiting import wait_until

CADDYFILE = ROOT / "deploy" / "Caddyfile"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# The sign-in service's answer for each session cookie: who it names (None: signed in, but
# named nobody); a request without one of these cookies is not signed in (401).
SIGNED_IN = {"session=alice": "alice@example.com", "session=nobody": None}
GROUPS = {"session=alice": "research,interns"}  # oauth2-proxy's X-Auth-Request-Groups


@dataclass
class Seen:
    path: str
    headers: list[tuple[str, str]]

    def values(self, name: str) -> list[str]:
        """Every value the request carried under `name`, in any letter case."""
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass
class Upstream:
    """A replica stand-in (every path answers 200 and is recorded) that is also the sign-in
    service; its answers carry X-Frame-Options SAMEORIGIN, which the proxies must replace."""

    port: int
    seen: list[Seen] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/oauth2/auth"):
                self._sign_in_check()
                return
            upstream.seen.append(Seen(self.path, list(self.headers.items())))
            self._answer(200, {"X-Frame-Options": "SAMEORIGIN"}, b"replica")

        def _sign_in_check(self) -> None:
            cookie = self.headers.get("Cookie", "")
            if cookie not in SIGNED_IN:
                self._answer(401, {}, b"")
                return
            user, groups = SIGNED_IN[cookie], GROUPS.get(cookie)
            answer = {"X-Auth-Request-Email": user} if user else {}
            self._answer(202, answer | ({"X-Auth-Request-Groups": groups} if groups else {}), b"")

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # the test reads `seen`, not a log
            pass

    return Handler


@contextmanager
def recording_upstream() -> Iterator[Upstream]:
    upstream = Upstream(free_port())
    server = ThreadingHTTPServer(("127.0.0.1", upstream.port), _handler(upstream))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield upstream
    finally:
        server.shutdown()
        server.server_close()


def request(port: int, path: str, headers: list[tuple[str, str]]) -> tuple[int, dict[str, list[str]]]:
    """Send GET `path` to the proxy with exactly these headers (repeats kept); its status and
    headers (lower-case names, every value)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", path)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        answered: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            answered.setdefault(name.lower(), []).append(value)
        return response.status, answered
    finally:
        connection.close()


def _answers(port: int) -> bool:
    """True once the proxy answers at all (with sign-in at the proxy, that is a redirect)."""
    try:
        request(port, "/_stcore/health", [])
    except OSError:
        return False
    return True


@dataclass
class Proxy:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    if not found:
        pytest.fail(f"Debian's {name} is required for these tests: apt-get install {name}")
    return found


def start_caddy(workdir: Path, upstream: str, sign_in: str | None) -> Proxy:
    """deploy/Caddyfile as it is, configured by its environment variables."""
    port = free_port()
    env = fleet_env(
        XDG_DATA_HOME=str(workdir),
        XDG_CONFIG_HOME=str(workdir),
        GPTPROTO_SITE_ADDRESS=f"http://:{port}",
        GPTPROTO_CADDY_BIND="127.0.0.1",
        GPTPROTO_REPLICAS=upstream,
        GPTPROTO_LB_SECRET="proxy-tests",
        GPTPROTO_CADDY_ADMIN="off",
        GPTPROTO_CADDY_OPTIONS="auto_https off",
    )
    env.pop("GPTPROTO_FORWARD_AUTH", None)
    if sign_in:
        env["GPTPROTO_FORWARD_AUTH"] = sign_in
    log = workdir / "caddy.log"
    command = [_program("caddy"), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    return _started(Proxy("caddy", port, process, log))


def nginx_site(port: int, upstream: str, sign_in: str | None) -> str:
    """deploy/nginx.conf with this test's ports in place of the file's examples, and the one line
    that turns on sign-in at the proxy uncommented when there is a sign-in service."""
    text = NGINX_CONF.read_text()
    replacements = {
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "127.0.0.1:8501": upstream,
        "127.0.0.1:8502": upstream,
    }
    if sign_in:
        replacements |= {
            "# auth_request /oauth2/auth;": "auth_request /oauth2/auth;",
            "127.0.0.1:4180": sign_in,
        }
    for example, value in replacements.items():
        assert example in text, f"deploy/nginx.conf no longer has {example!r}"
        text = text.replace(example, value)
    return text


def start_nginx(workdir: Path, upstream: str, sign_in: str | None) -> Proxy:
    """deploy/nginx.conf included in a minimal nginx.conf, in the foreground, in one process."""
    port = free_port()
    (workdir / "gptproto-chat.conf").write_text(nginx_site(port, upstream, sign_in))
    temp = " ".join(
        f"{kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"daemon off; master_process off; pid {workdir / 'nginx.pid'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{ access_log off; {temp} include {workdir / 'gptproto-chat.conf'}; }}\n"
    )
    log = workdir / "error.log"
    command = [_program("nginx"), "-p", str(workdir), "-e", str(log), "-c", str(workdir / "nginx.conf")]
    with (workdir / "nginx.out").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    return _started(Proxy("nginx", port, process, log))


def _started(proxy: Proxy) -> Proxy:
    if not wait_until(lambda: _answers(proxy.port) or proxy.process.poll() is not None, timeout=30):
        stop_process(proxy.process)
        raise RuntimeError(f"{proxy.name} did not answer:\n{proxy.log.read_text(errors='replace')}")
    if proxy.process.poll() is not None:
        raise RuntimeError(f"{proxy.name} exited:\n{proxy.log.read_text(errors='replace')}")
    return proxy


STARTERS = {"caddy": start_caddy, "nginx": start_nginx}


@contextmanager
def running(name: str, workdir: Path, upstream: str, sign_in: str | None = None) -> Iterator[Proxy]:
    workdir.mkdir(parents=True, exist_ok=True)
    proxy = STARTERS[name](workdir, upstream, sign_in)
    try:
        yield proxy
    finally:
        stop_process(proxy.process)
