"""Documents through the chat and Compare inputs: their text reaches the gateway as text parts
named by file, chips show on the prompt, and each file that cannot be read says why while the
typed prompt stays in the box."""

from __future__ import annotations

import random

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state import compare as compare_state
from core.compare_flow import start_round
from core.conversation import ChatParams, DocumentAttachment, Message, Status, user_message
from core.share_links import chat_snapshot, comparison_snapshot
from core.storage import ComparisonStore, ConversationStore, database_url, make_engine, migrate
from core.storage.share_store import ShareStore
from devtools.standin import Reply
from tests.app.helpers import APP, app_on, as_read, errors, open_page, shown_messages, start_app
from tests.document_files import damaged_pdf, docx_with, encrypted_pdf, pdf_with_text, scanned_pdf

MIMES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def submit(at, text, *files, key=chat_state.INPUT):
    widget = at.chat_input(key=key).set_value(text)
    for name, data in files:
        widget.upload(name, data, MIMES.get(name.rsplit(".", 1)[-1], "text/plain"))
    at.run()
    assert not at.exception, at.exception
    return at


def chips(at) -> list[str]:
    """The document chips on the page, as read (a badge is markdown: `:gray-badge[...]`)."""
    shown = [as_read(md.value) for md in at.markdown]
    return [text for text in shown if "-badge[" in text]


def test_documents_reach_the_gateway_as_text_parts_named_by_file(gateway_env):
    gateway_env.enqueue(Reply(text="Both read."))
    at = submit(
        start_app(),
        "Summarise both",
        ("report.pdf", pdf_with_text("Revenue grew 12 percent", "Costs fell")),
        ("minutes.docx", docx_with("Ana owns the budget")),
    )
    content = gateway_env.requests[-1].body["messages"][-1]["content"]
    assert content == [
        {"type": "text", "text": "Summarise both"},
        {
            "type": "text",
            "text": '<file name="report.pdf">\n[page 1]\nRevenue grew 12 percent\n\n'
            "[page 2]\nCosts fell\n</file>",
        },
        {"type": "text", "text": '<file name="minutes.docx">\nAna owns the budget\n</file>'},
    ]
    shown = chips(at)
    assert len(shown) == 2
    assert "report.pdf (PDF, 2 pages, " in shown[0] and "minutes.docx (Word, " in shown[1]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("scan.pdf", scanned_pdf(), "scan.pdf has no text layer: it looks scanned"),
        ("locked.pdf", encrypted_pdf(), "locked.pdf is encrypted (password-protected)"),
        ("cut.pdf", damaged_pdf(), "cut.pdf is damaged or not really a PDF"),
        ("book.pdf", pdf_with_text("a", "b", "c"), "book.pdf has 3 pages; the limit is 2 per document."),
        ("legacy.txt", "déjà".encode("cp1252"), "legacy.txt is not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_says_why_and_the_prompt_stays(
    gateway_env, monkeypatch, name, data, message
):
    monkeypatch.setenv("GPTPROTO_DOCUMENT_MAX_PAGES", "2")
    at = submit(start_app(), "Keep these words", (name, data))
    assert message in errors(at)
    assert at.chat_input(key=chat_state.INPUT).value == "Keep these words"
    assert gateway_env.requests == [] and chips(at) == []


def test_too_many_documents(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_DOCUMENT_MAX_COUNT", "1")
    at = submit(start_app(), "Two?", ("a.txt", b"one"), ("b.md", b"two"))
    assert "Too many documents: 2 attached, at most 1 per message." in errors(at)
    assert gateway_env.requests == []


def test_the_documents_are_sent_again_with_the_next_prompt(gateway_env):
    at = submit(start_app(), "Read this", ("main.py", b"print('hi')\n"))
    submit(at, "And now?")
    first_turn = gateway_env.requests[-1].body["messages"][0]["content"]
    assert first_turn[1] == {"type": "text", "text": "<file name=\"main.py\">\nprint('hi')\n\n</file>"}


def test_compare_sends_the_documents_to_every_column(gateway_env):
    at = app_on("compare")
    at.run()
    at.multiselect(key=compare_state.MODELS).set_value(["o4-mini", "gpt-4o"])
    at.run()
    submit(at, "Review this", ("main.py", b"x = 1\n"), key=compare_state.INPUT)
    bodies = {request.body["model"]: request.body for request in gateway_env.requests}
    assert set(bodies) == {"o4-mini", "gpt-4o"}
    for body in bodies.values():
        assert body["messages"][-1]["content"] == [
            {"type": "text", "text": "Review this"},
            {"type": "text", "text": '<file name="main.py">\nx = 1\n\n</file>'},
        ]
    assert any("main.py (text, 6 bytes)" in chip for chip in chips(at))


def test_a_damaged_pdf_on_compare_keeps_the_prompt(gateway_env):
    at = app_on("compare")
    at.run()
    at.multiselect(key=compare_state.MODELS).set_value(["o4-mini", "gpt-4o"])
    at.run()
    submit(at, "Review this", ("cut.pdf", damaged_pdf()), key=compare_state.INPUT)
    assert "cut.pdf is damaged or not really a PDF" in errors(at)
    assert at.chat_input(key=compare_state.INPUT).value == "Review this"
    assert gateway_env.requests == []


@pytest.fixture
def engine(tmp_path):
    """The app's own database (GPTPROTO_DATA_DIR is tmp_path/data), for another user's rows."""
    created = make_engine(database_url(str(tmp_path / "data"), None))
    migrate(created)
    yield created
    created.dispose()


def open_shared(token: str):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["s"] = token
    open_page(at, "shared").run()
    assert not at.exception, at.exception
    return at


REPORT = DocumentAttachment("report.pdf", "pdf", "[page 1]\nTides", pages=1, size=2048)
REPORT_CHIP = ":gray-badge[:material/picture_as_pdf: report.pdf (PDF, 1 page, 2 KB)]"


def test_a_shared_chat_shows_the_document_chip(engine):
    chats = ConversationStore(engine, "alice")
    conversation = chats.create(ChatParams(model="gpt-4o"))
    prompt = user_message("Read the report", documents=[REPORT])
    chats.save_message(conversation, prompt)
    chats.save_message(conversation, Message(role="assistant", text="Read.", parent_id=prompt.id, model="o3"))
    stored = chats.load(conversation)
    snapshot = chat_snapshot(stored.info.title, stored.params, stored.tree)
    token = ShareStore(engine, "alice").create("chat", "Report", snapshot, conversation).token
    assert chips(open_shared(token)) == [
        ":gray-badge[:material/picture_as_pdf: report.pdf (PDF, 1 page, 2 KB)]"
    ]


def test_a_shared_comparison_shows_the_document_chip(engine):
    ConversationStore(engine, "alice")
    comparisons = ComparisonStore(engine, "alice")
    round_ = start_round([], ["o3", "gpt-4o"], "Review", random.Random(1), documents=[REPORT])
    comparison = comparisons.begin_round(None, round_, ChatParams(model="o3"))
    for column in round_.columns:
        column.answer.text, column.answer.status = "Fine.", Status.COMPLETE
        comparisons.save_answer(comparison, column.answer)
    stored = comparisons.load(comparison)
    snapshot = comparison_snapshot(stored.info.title, stored.params, stored.rounds)
    token = ShareStore(engine, "alice").create("comparison", "Review", snapshot, comparison).token
    assert chips(open_shared(token)) == [
        ":gray-badge[:material/picture_as_pdf: report.pdf (PDF, 1 page, 2 KB)]"
    ]


def test_an_edited_prompt_is_sent_again_with_its_documents(gateway_env):
    gateway_env.enqueue(Reply(text="First."), Reply(text="Edited."))
    at = submit(start_app(), "Summarise", ("main.py", b"x = 1\n"))
    prompt = shown_messages(at)[0]
    at.button(key=chat_state.action_key("edit", prompt.id)).click().run()
    assert "Sent again with it: main.py." in [as_read(caption.value) for caption in at.caption]
    at.text_area(key=chat_state.edit_text_key(prompt.id)).set_value("Summarise in one line")
    at.button(key=chat_state.EDIT_SEND).click().run()
    assert not at.exception, at.exception
    assert gateway_env.requests[-1].body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Summarise in one line"},
                {"type": "text", "text": '<file name="main.py">\nx = 1\n\n</file>'},
            ],
        }
    ]
    assert len(chips(at)) == 1 and "main.py (text, 6 bytes)" in chips(at)[0]


def test_regenerate_sends_the_documents_again(gateway_env):
    gateway_env.enqueue(Reply(text="First."), Reply(text="Second."))
    at = submit(start_app(), "Summarise", ("notes.md", b"# Notes\n"))
    at.button(key=chat_state.action_key("retry", shown_messages(at)[-1].id)).click().run()
    assert not at.exception, at.exception
    first, second = (request.body["messages"] for request in gateway_env.requests)
    assert (
        first
        == second
        == [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Summarise"},
                    {"type": "text", "text": '<file name="notes.md">\n# Notes\n\n</file>'},
                ],
            }
        ]
    )
