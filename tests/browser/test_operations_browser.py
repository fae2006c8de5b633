"""What an operator gets from `serve.py`, checked on a real server driven in Chromium: the
Prometheus endpoint on its own port and the JSON line per gateway request after a chat, and
SIGTERM as a drain (the answer streaming finishes, or is saved whole as interrupted once the
grace is over, and the page reconnects by itself when a server is back on its address)."""

from __future__ import annotations

import http.client
import json
import re
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect
from prometheus_client.parser import text_string_to_metric_families

from devtools.browser import free_port
from devtools.standin import ErrorReply, Reply
from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import bubbles, send
from tests.reconnecting import Reconnections
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

PATIENCE = 20_000
WORD = re.compile(r"\bw\d+\b")
TOKEN_KINDS = ("prompt", "completion", "reasoning", "cached")


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the metrics endpoint serves, by name and sorted labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _upgrade_status(port: int) -> int:
    """The status a new browser session's websocket upgrade gets (101: accepted)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(
            "GET",
            "/_stcore/stream",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


def _log_events(server: AppServer, event: str) -> list[dict]:
    lines = [line for line in server.log().splitlines() if line.startswith("{")]
    return [record for record in map(json.loads, lines) if record.get("event") == event]


class OperatedServer(AppServer):
    """serve.py with its metrics on a port of their own."""

    def __init__(self, env: dict[str, str], workdir: Path, metrics_port: int) -> None:
        super().__init__({**env, "GPTPROTO_METRICS_PORT": str(metrics_port)}, workdir)
        self.metrics_port = metrics_port


@pytest.fixture
def operated(standin, tmp_path, request) -> Iterator[OperatedServer]:
    """serve.py with the metrics on a port of their own, JSON logs and the test's grace."""
    grace = getattr(request, "param", "30")
    server = OperatedServer(
        app_env(
            GPTPROTO_BASE_URL=standin.base_url,
            GPTPROTO_API_KEY=standin.api_key,
            GPTPROTO_LOG_FORMAT="json",
            GPTPROTO_SHUTDOWN_GRACE=grace,
            GPTPROTO_LIMIT_REQUESTS_PER_MINUTE="2",
        ),
        tmp_path,
        free_port(),
    )
    server.start()
    yield server
    server.stop()


def test_metrics_and_the_request_log_after_a_chat(page: Page, operated: OperatedServer, standin):
    standin.enqueue(
        Reply(
            text="Paris is the capital of France.",
            prompt_tokens=11,
            completion_tokens=7,
            reasoning_tokens=3,
            cached_tokens=2,
        ),
        ErrorReply.unauthorized(),
    )
    page.goto(operated.url)
    send(page, "Capital of France?")
    expect(page.get_by_text("Paris is the capital of France.")).to_be_visible(timeout=PATIENCE)
    send(page, "And of Spain?")
    expect(page.get_by_text("Invalid API key provided.")).to_be_visible(timeout=PATIENCE)
    send(page, "And of Italy?")  # the third request in a minute: over the limit of 2
    # The refusal itself (the sidebar's folded allowance also names the limit).
    expect(page.get_by_text(re.compile("Rate limit: 2 requests per minute")).first).to_be_visible(
        timeout=PATIENCE
    )
    page.goto(f"{operated.url}/history")
    page.get_by_text("Import a conversation or comparison (JSON export)").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"][accept*=".zip"]').set_input_files(
        files=[FilePayload(name="broken.json", mimeType="application/json", buffer=b"{not json")]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("broken.json was not imported")).to_be_visible(timeout=PATIENCE)

    samples = _scrape(operated.metrics_port)
    model = (("model", "o4-mini"),)
    assert samples[("gptproto_sessions_open", ())] == 1
    assert samples[("gptproto_answers_streaming", ())] == 0
    assert samples[("gptproto_requests_total", (("model", "o4-mini"), ("status", "complete")))] == 1
    assert samples[("gptproto_requests_total", (("model", "o4-mini"), ("status", "failed")))] == 1
    tokens = {kind: samples[("gptproto_tokens_total", (("kind", kind), *model))] for kind in TOKEN_KINDS}
    assert tokens == {"prompt": 11, "completion": 7, "reasoning": 3, "cached": 2}
    assert samples[("gptproto_first_token_seconds_count", model)] == 1  # the failed one had none
    assert samples[("gptproto_answer_seconds_count", model)] == 2
    assert samples[("gptproto_errors_total", (("kind", "auth"),))] == 1
    assert samples[("gptproto_limit_refusals_total", (("limit", "requests_per_minute"),))] == 1
    assert samples[("gptproto_import_refusals_total", (("format", "conversation"),))] == 1
    # Streamlit's own port, the one the proxy forwards, does not serve them.
    with urllib.request.urlopen(f"{operated.url}/metrics", timeout=5) as response:
        assert b"gptproto_requests_total" not in response.read()

    lines = _log_events(operated, "gateway_request")
    assert [(line["model"], line["status"], line["error_kind"]) for line in lines] == [
        ("o4-mini", "complete", None),
        ("o4-mini", "failed", "auth"),
    ]
    first = lines[0]
    assert (first["user_id"], first["page"], first["request_id"]) == ("local", "chat", "req_standin_000001")
    assert (first["prompt_tokens"], first["completion_tokens"], first["reasoning_tokens"]) == (11, 7, 3)
    assert first["latency_s"] > 0 and first["first_token_s"] > 0
    everything = operated.log()
    for secret in ("Capital of France?", "Paris is the capital", standin.api_key):
        assert secret not in everything


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _ask(page: Page, server: AppServer, prompt: str, until: str) -> Reconnections:
    """Open the app, watching its connection, and send `prompt` until the word `until` shows."""
    watch = Reconnections(page)
    page.goto(server.url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=PATIENCE)
    watch.record()
    send(page, prompt)
    expect(page.get_by_text(re.compile(rf"\b{until}\b"))).to_be_visible(timeout=PATIENCE)
    return watch


@pytest.mark.parametrize("operated", ["60"], indirect=True)
def test_sigterm_lets_the_streaming_answer_finish_and_takes_no_new_session(
    page: Page, operated: AppServer, standin, tmp_path: Path
):
    words = " ".join(f"w{i}" for i in range(200))
    standin.enqueue(Reply(text=words, chunk_delay=0.03), Reply(text="After the restart."))
    watch = _ask(page, operated, "Count to 200", until="w10")
    assert operated.process is not None
    signalled = time.monotonic()
    operated.process.send_signal(signal.SIGTERM)

    assert wait_until(lambda: _health(operated.url) == 503), "health still answers 200 while draining"
    assert _upgrade_status(operated.port) == 503
    expect(bubbles(page).nth(1).get_by_text(re.compile(r"w198 w199$"))).to_be_visible(timeout=PATIENCE)
    operated.process.wait(timeout=30)
    stopped_after = time.monotonic() - signalled
    assert stopped_after < 30, f"the drain waited {stopped_after:.1f} s for an answer of ~6 s"
    [drained] = _log_events(operated, "drain_finished")
    assert (drained["answers_at_sigterm"], drained["answers_interrupted"]) == (1, 0)

    operated.start()  # the same address and database, as a restarted replica
    # The page reconnects by itself and shows the whole answer, read back from the database.
    assert wait_until(watch.ran_since_reconnecting, timeout=30), watch.changes()
    send(page, "And now?")
    expect(page.get_by_text("After the restart.")).to_be_visible(timeout=PATIENCE)
    assert standin.requests[-1].body["messages"][1]["content"] == words
    expect(page.get_by_text("The answer was interrupted")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "finished-through-the-drain.png"), full_page=True)


@pytest.mark.parametrize("operated", ["1.5"], indirect=True)
def test_past_the_grace_the_answer_is_saved_whole_as_interrupted_and_retry_answers(
    page: Page, operated: AppServer, standin, tmp_path: Path
):
    words = " ".join(f"w{i}" for i in range(3000))
    standin.enqueue(Reply(text=words, chunk_delay=0.02), Reply(text="Fresh answer."))
    watch = _ask(page, operated, "Write 3000 words", until="w60")
    assert operated.process is not None
    shown_at_sigterm = len(_words(bubbles(page).nth(1).inner_text()))
    operated.process.send_signal(signal.SIGTERM)
    operated.process.wait(timeout=30)
    [drained] = _log_events(operated, "drain_finished")
    assert (drained["answers_at_sigterm"], drained["answers_interrupted"]) == (1, 1)
    long = standin.requests[0]
    assert wait_until(lambda: long.client_disconnected)  # the gateway stream was closed

    operated.start()
    assert wait_until(watch.ran_since_reconnecting, timeout=30), watch.changes()
    expect(page.get_by_text("The answer was interrupted")).to_be_visible(timeout=PATIENCE)
    stored = _words(bubbles(page).nth(1).inner_text())
    # Saved whole: what streamed during the grace too, not only up to the last checkpoint.
    assert stored[:3] == ["w0", "w1", "w2"]
    assert len(stored) > shown_at_sigterm, (len(stored), shown_at_sigterm)
    page.screenshot(path=str(tmp_path / "interrupted-by-the-drain.png"), full_page=True)
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Fresh answer.")).to_be_visible(timeout=PATIENCE)
    assert [m["content"] for m in standin.requests[-1].body["messages"]] == ["Write 3000 words"]
