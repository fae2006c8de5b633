"""Documents in the export files: they round-trip with their text, the Markdown and reports name
them, and an import holds them to the schema's limits and to what the app could have attached."""

from __future__ import annotations

import json
import random

import pytest

from core.branches import ConversationTree
from core.compare_flow import start_round
from core.conversation import ChatParams, DocumentAttachment, Message, Status, user_message
from core.formats.comparison import export_comparison_json, import_comparison_json
from core.formats.conversation import export_json, export_markdown, import_json
from core.formats.strict import ImportRejected
from core.report import report_html, report_markdown

PARAMS = ChatParams(model="o3")
REPORT = DocumentAttachment(
    "report.pdf", "pdf", "[page 1]\nRevenue grew\n\n[page 2]\nCosts fell", pages=2, size=1800
)
CODE = DocumentAttachment("main.py", "text", "print('hi')\n", size=12)


def tree_with_documents() -> ConversationTree:
    prompt = user_message("Compare these", documents=[REPORT, CODE])
    answer = Message(role="assistant", text="Done.", parent_id=prompt.id, model="o3", status=Status.COMPLETE)
    return ConversationTree.of([prompt, answer])


def test_a_conversation_with_documents_round_trips():
    raw = export_json("Files", PARAMS, tree_with_documents())
    exported = json.loads(raw)["messages"]
    assert exported[0]["documents"] == [
        {"name": "report.pdf", "kind": "pdf", "text": REPORT.text, "pages": 2, "size": 1800},
        {"name": "main.py", "kind": "text", "text": "print('hi')\n", "pages": None, "size": 12},
    ]
    assert "documents" not in exported[1]  # none: the key is left out, as before documents existed
    prompt, answer = import_json(raw.encode()).tree.path()
    assert prompt.documents == [REPORT, CODE] and answer.documents == []


def test_the_markdown_export_names_each_document():
    text = export_markdown("Files", PARAMS, tree_with_documents().path())
    assert (
        "Compare these\n*[file: report.pdf (PDF, 2 pages, 2 KB)]*\n*[file: main.py (text, 12 bytes)]*" in text
    )


def test_a_comparison_with_documents_round_trips_and_reports_name_them():
    round_ = start_round([], ["o3", "gpt-4o"], "Review", random.Random(1), documents=[REPORT])
    assert [column.history[-1].documents for column in round_.columns] == [[REPORT], [REPORT]]
    raw = export_comparison_json("Cmp", PARAMS, [round_])
    assert json.loads(raw)["rounds"][0]["prompt"]["documents"][0]["name"] == "report.pdf"
    (imported,) = import_comparison_json(raw.encode()).rounds
    assert imported.prompt_message.documents == [REPORT]
    assert "*[file: report.pdf (PDF, 2 pages, 2 KB)]*" in report_markdown("Cmp", [round_], {})
    assert "<p><i>[file: report.pdf (PDF, 2 pages, 2 KB)]</i></p>" in report_html("Cmp", [round_], {})


def _with_document(role: str = "user", count: int = 1, **fields) -> bytes:
    data = json.loads(export_json("Files", PARAMS, tree_with_documents()))
    document = {"name": "a.txt", "kind": "text", "text": "hello", "size": 5, **fields}
    index = 0 if role == "user" else 1
    data["messages"][index]["documents"] = [document] * count
    return json.dumps(data).encode()


BAD_DOCUMENTS = [
    (_with_document(text=""), r"^messages\[0\]\.documents\[0\]\.text: must not be empty"),
    (_with_document(text="x" * 1_000_001), r"^messages\[0\]\.documents\[0\]\.text: is longer than 1,000,000"),
    (_with_document(name=""), r"^messages\[0\]\.documents\[0\]\.name: must not be empty"),
    (_with_document(name="n" * 252 + ".txt"), r"^messages\[0\]\.documents\[0\]\.name: is longer than 255"),
    (
        _with_document(name="run.exe"),
        r"^messages\[0\]\.documents\[0\]: name must end in one of the extensions attached as documents "
        r"\(.run\.exe. does not\)",
    ),
    (
        _with_document(kind="pdf"),
        r"^messages\[0\]\.documents\[0\]: kind must be 'text' for a file named 'a\.txt'",
    ),
    (_with_document(kind="image"), r"^messages\[0\]\.documents\[0\]\.kind: must be 'pdf', 'docx' or 'text'"),
    (_with_document(pages=3), r"^messages\[0\]\.documents\[0\]: pages is given for PDFs only"),
    (
        _with_document(name="a.pdf", kind="pdf", pages=0),
        r"^messages\[0\]\.documents\[0\]\.pages: must be at least 1",
    ),
    (_with_document(size=-1), r"^messages\[0\]\.documents\[0\]\.size: must be at least 0"),
    (_with_document(size="5"), r"^messages\[0\]\.documents\[0\]\.size: must be a whole number"),
    (_with_document(count=17), r"^messages\[0\]\.documents: has more than 16 items"),
    (
        _with_document(role="assistant"),
        r"^messages\[1\]\.documents: only a prompt \(role user\) carries documents",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD_DOCUMENTS)
def test_bad_documents_are_refused_saying_what_and_where(raw, message):
    with pytest.raises(ImportRejected, match=message):
        import_json(raw)


def test_a_comparison_prompt_document_is_held_to_the_same_schema():
    round_ = start_round([], ["o3", "gpt-4o"], "Review", random.Random(1), documents=[REPORT])
    data = json.loads(export_comparison_json("Cmp", PARAMS, [round_]))
    data["rounds"][0]["prompt"]["documents"][0]["kind"] = "docx"
    with pytest.raises(ImportRejected, match=r"^rounds\[0\]\.prompt\.documents\[0\]: kind must be 'pdf'"):
        import_comparison_json(json.dumps(data).encode())
