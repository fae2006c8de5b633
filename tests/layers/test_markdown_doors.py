"""One door into markdown: every Streamlit call that renders markdown gets the app's own words or
text that passed a guard (tests/layers/markdown_doors.py says what counts)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import ROOT
from tests.layers.markdown_doors import Project

GUARDS = """
from typing import NewType

SafeMarkdown = NewType("SafeMarkdown", str)


def literal(text: object) -> SafeMarkdown:
    return SafeMarkdown(str(text).replace("[", "\\\\["))
"""

PLANTED = """
import streamlit as st
from typing import cast

from components.words import DOWN, NAMED
from core.safe_text import SafeMarkdown, literal

LIMIT = "The limit is 5 requests."


@st.dialog("Delete this?")
def confirm(title: str, count: int, shown: SafeMarkdown) -> None:
    st.write(f"“{literal(title)}” will be deleted ({count:,} messages).")
    st.markdown("**Fixed** " + literal(title) + LIMIT)
    st.caption(shown)
    st.error(DOWN)
    line = f"Saved {literal(title)}"
    st.success(line)
    st.progress(0.5, text=f"Prompt {count + 1} of {count:d}")
    st.caption(literal(title) if count else "none")
    st.image(b"", caption=[literal(part) for part in title.split()])


@st.dialog(NAMED)
def planted(title: str, error: Exception, names: list[str], count: int) -> None:
    st.markdown(title)
    st.write("Deleted:", title)
    st.caption(f"Shared by {title}")
    st.error(str(error))
    st.success(f"Imported {title!r}".replace("x", "y"))
    st.progress(0.5, text=f"{count} of {title}")
    st.toast(title)
    st.warning(literal(title) + title)
    row = st.container()
    row.info(", ".join(names))
    st.button(title, help=title)
    st.image(b"", caption=names)
    for name in names:
        st.caption(name)
    made = SafeMarkdown(title)
    forced = cast(SafeMarkdown, title)
    st.caption(f"{literal(title)!r}")
    st.header(made + forced)
"""


def _planted_project(tmp_path: Path) -> Project:
    files = {
        "core/safe_text.py": GUARDS,
        "components/words.py": 'DOWN = "The database is down."\nNAMED = DOWN + input()\n',
        "components/planted.py": PLANTED,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return Project(tmp_path)


def test_every_markdown_sink_gets_the_apps_words_or_guarded_text():
    assert [str(found) for found in Project(ROOT).violations()] == []


def test_the_scan_reports_each_planted_unguarded_text_and_accepts_the_guarded_ones(tmp_path):
    found = [(v.where, v.call, v.text) for v in _planted_project(tmp_path).violations()]
    path = "components/planted.py"
    assert sorted(found) == sorted(
        [
            (f"{path}:24", "st.dialog", "NAMED"),  # a constant made from input
            (f"{path}:26", "st.markdown", "title"),
            (f"{path}:27", "st.write", "title"),
            (f"{path}:28", "st.caption", "f'Shared by {title}'"),
            (f"{path}:29", "st.error", "str(error)"),
            (f"{path}:30", "st.success", "f'Imported {title!r}'.replace('x', 'y')"),
            (f"{path}:31", "st.progress", "f'{count} of {title}'"),
            (f"{path}:32", "st.toast", "title"),
            (f"{path}:33", "st.warning", "literal(title) + title"),
            (f"{path}:35", "row.info", "', '.join(names)"),
            (f"{path}:36", "st.button", "title"),  # the label
            (f"{path}:36", "st.button", "title"),  # the tooltip
            (f"{path}:37", "st.image", "names"),
            (f"{path}:39", "st.caption", "name"),
            (f"{path}:40", "SafeMarkdown", "title"),
            (f"{path}:41", "cast", "title"),
            (f"{path}:42", "st.caption", "f'{literal(title)!r}'"),  # repr doubles the escapes
            (f"{path}:43", "st.header", "made + forced"),  # both were made from unguarded text
        ]
    )  # and nothing in confirm(), whose every text is the app's own or guarded
