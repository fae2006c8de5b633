"""Watching a page lose its server and get one back, for the tests of restarts and drains.

The page records Streamlit's own connection state each time it changes (a MutationObserver on the
app's `data-test-connection-state`), so the time it spent disconnected is measured in the
browser. Each websocket's messages say when the session behind it has run the script: the page's
attributes do not show a run that starts and ends between two renders."""

from __future__ import annotations

from playwright.sync_api import Page, WebSocket
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

RECORD = """() => {
    window.__connection = [];
    const state = () => document.querySelector('[data-testid="stApp"]')
        ?.getAttribute('data-test-connection-state');
    let last = null;
    const note = () => {
        const now = state();
        if (now !== last) { window.__connection.push([Date.now(), now]); last = now; }
    };
    note();
    new MutationObserver(note).observe(document.body, {
        attributes: true, subtree: true, attributeFilter: ['data-test-connection-state'],
    });
}"""
CHANGES = "() => window.__connection"


class Reconnections:
    """One page's connection changes and, per websocket it opened, the script runs finished."""

    def __init__(self, page: Page) -> None:
        """Call before the page loads, then `record` once it has."""
        self.page = page
        self.finished: list[int] = []
        page.on("websocket", self._opened)

    def record(self) -> None:
        """Start recording the connection state (again after each navigation)."""
        self.page.evaluate(RECORD)

    def _opened(self, socket: WebSocket) -> None:
        self.finished.append(0)
        index = len(self.finished) - 1

        def received(payload: str | bytes) -> None:
            kind = ForwardMsg.FromString(payload).WhichOneof("type") if isinstance(payload, bytes) else None
            if kind == "script_finished":
                self.finished[index] += 1

        socket.on("framereceived", received)

    def changes(self) -> list[tuple[int, str]]:
        """(ms, connection state) each time it changed; asking also lets Playwright deliver the
        websocket events that arrived meanwhile."""
        return [(at, state) for at, state in self.page.evaluate(CHANGES)]

    def outages(self) -> list[float]:
        """Seconds the page spent disconnected, each time it lost its server and got one back."""
        found, down_at = [], None
        for at, state in self.changes():
            if state != "CONNECTED" and down_at is None:
                down_at = at
            elif state == "CONNECTED" and down_at is not None:
                found.append((at - down_at) / 1000)
                down_at = None
        return found

    def ran_since_reconnecting(self, outages: int = 1) -> bool:
        """The page has been through `outages` outages and, connected again, its new session
        has run the script (so a click or a prompt now reaches it)."""
        changes = self.changes()
        return (
            len(self.outages()) >= outages
            and changes[-1][1] == "CONNECTED"
            and len(self.finished) > outages
            and self.finished[-1] > 0
        )
