"""The one way the app offers a file to download (an export, a report, the request log).

The file is made when the button is clicked, not at every run: Streamlit keeps a download's bytes
in memory at a `/media/<hash>` URL that answers anyone who has it, from the run that drew the
button until a later run collects them. Made at the click, they exist only for that click, and
serve.py's server hands them out once (see server_guard.py). The click does not rerun the page.
"""

from __future__ import annotations

from collections.abc import Callable

from streamlit.delta_generator import DeltaGenerator

from core.safe_text import literal


def download_button(
    where: DeltaGenerator,
    label: str,
    make: Callable[[], str | bytes],
    file_name: str,
    *,
    mime: str,
    key: str,
    icon: str,
    disabled: bool = False,
    help: str | None = None,
) -> None:
    """A button in `where` that downloads what `make()` returns, called at the click (outside the
    page's run: it may not draw anything). The label and tooltip show as written: a label can
    name the conversation, a tooltip quote why a file is not offered."""
    where.download_button(
        literal(label),
        make,
        file_name=file_name,
        mime=mime,
        key=key,
        icon=icon,
        on_click="ignore",
        disabled=disabled,
        help=literal(help) if help else None,
    )
