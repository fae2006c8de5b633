"""Attached documents: text extracted per format, each failure a message naming the file and what
to do, the limits, and how the text reaches the request."""

from __future__ import annotations

import pytest

from core.chat_flow import edit, retry, send
from core.conversation import DocumentAttachment, user_message
from core.documents import (
    DocumentLimits,
    DocumentRejected,
    check_count,
    chip_label,
    extract_document,
    extract_documents,
    is_document,
)
from core.gateway.request import message_payload
from core.settings import SettingsError, resolve_settings
from tests.document_files import (
    damaged_pdf,
    docx_with,
    encrypted_pdf,
    pdf_with_text,
    restricted_pdf,
    scanned_pdf,
)

LIMITS = DocumentLimits(max_bytes=100_000, max_pages=3, max_count=2, max_chars=10_000)


def test_pdf_text_is_extracted_page_by_page():
    document = extract_document("report.pdf", pdf_with_text("Revenue grew 12 percent", "Costs fell"), LIMITS)
    assert document.kind == "pdf" and document.pages == 2
    assert document.text == "[page 1]\nRevenue grew 12 percent\n\n[page 2]\nCosts fell"


def test_a_pdf_restricted_only_for_editing_opens_without_a_password():
    document = extract_document("open.pdf", restricted_pdf("Read me freely"), LIMITS)
    assert document.text == "[page 1]\nRead me freely"


def test_docx_paragraphs_and_tables_are_extracted():
    data = docx_with(
        "Minutes of the meeting", "Decisions below.", table=[["Owner", "Task"], ["Ana", "Budget"]]
    )
    document = extract_document("minutes.docx", data, LIMITS)
    assert (document.kind, document.pages, document.size) == ("docx", None, len(data))
    assert document.text == "Minutes of the meeting\nDecisions below.\nOwner | Task\nAna | Budget"


@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        ("main.py", b"def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a + b\n"),
        ("notes.md", "# Café\n".encode(), "# Café\n"),
        ("data.csv", "\ufeffname,city\nAna,Zürich\n".encode(), "name,city\nAna,Zürich\n"),  # BOM dropped
        ("config.yaml", b"key: value\n", "key: value\n"),
    ],
)
def test_text_files_are_read_as_utf8_with_or_without_a_bom(name, data, text):
    document = extract_document(name, data, LIMITS)
    assert (document.kind, document.text, document.size) == ("text", text, len(data))


def test_a_text_file_that_is_not_utf8_is_refused_with_what_to_do():
    with pytest.raises(DocumentRejected) as caught:
        extract_document("legacy.txt", "prix: 12 €, déjà vu".encode("cp1252"), LIMITS)
    assert str(caught.value) == (
        "legacy.txt is not UTF-8 text (byte 0x80 at position 9 is not valid UTF-8). "
        "Save it as UTF-8 in your editor and attach it again."
    )  # "prix: 12 " is 9 bytes; cp1252 writes € as 0x80


def test_a_binary_file_named_as_text_is_refused():
    with pytest.raises(DocumentRejected, match=r"^blob\.txt looks like a binary file, not text\. Attach"):
        extract_document("blob.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00", LIMITS)


def test_a_scanned_pdf_says_it_has_no_text_layer_and_suggests_ocr():
    with pytest.raises(DocumentRejected) as caught:
        extract_document("scan.pdf", scanned_pdf(), LIMITS)
    assert str(caught.value) == (
        "scan.pdf has no text layer: it looks scanned (pages of images), so there is no text to send. "
        "Run it through OCR (text recognition) first, or attach the pages as images."
    )


def test_an_encrypted_pdf_says_to_remove_the_password():
    with pytest.raises(DocumentRejected) as caught:
        extract_document("locked.pdf", encrypted_pdf(), LIMITS)
    assert str(caught.value) == (
        "locked.pdf is encrypted (password-protected), so its text cannot be read. Open it, save a "
        "copy without the password (or print it to a new PDF) and attach that."
    )


def test_a_damaged_pdf_says_to_save_it_again():
    with pytest.raises(DocumentRejected) as caught:
        extract_document("cut.pdf", damaged_pdf(), LIMITS)
    assert str(caught.value) == (
        "cut.pdf is damaged or not really a PDF, so its text cannot be read. Open it in a PDF viewer "
        "and save (or print) it as a new PDF, then attach that."
    )


def test_a_file_named_pdf_that_is_not_one_is_damaged():
    with pytest.raises(DocumentRejected, match=r"^fake\.pdf is damaged or not really a PDF"):
        extract_document("fake.pdf", b"<html>not a pdf</html>", LIMITS)


def test_a_pdf_over_the_page_limit_names_both_counts():
    with pytest.raises(DocumentRejected) as caught:
        extract_document("book.pdf", pdf_with_text("a", "b", "c", "d"), LIMITS)
    assert str(caught.value) == (
        "book.pdf has 4 pages; the limit is 3 per document. Attach only the pages you need "
        "(print them to a new PDF), or split it."
    )


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read():
    with pytest.raises(DocumentRejected) as caught:
        extract_document("huge.pdf", b"%PDF-1.4" + b"0" * 150_592, LIMITS)
    assert str(caught.value) == (
        "huge.pdf is 147 KB; the limit is 98 KB per document. Attach a smaller file, or split it "
        "and send the parts one message at a time."
    )  # 150,600 bytes / 1024 = 147.07 → 147 KB; 100,000 / 1024 = 97.7 → 98 KB


def test_text_over_the_character_limit_is_refused():
    with pytest.raises(
        DocumentRejected, match=r"^long\.txt holds 10,001 characters of text; the limit is 10,000"
    ):
        extract_document("long.txt", b"x" * 10_001, LIMITS)


def test_zero_means_no_limit():
    unlimited = DocumentLimits(max_bytes=0, max_pages=0, max_count=0, max_chars=0)
    assert extract_document("book.pdf", pdf_with_text("a", "b", "c", "d"), unlimited).pages == 4
    check_count(50, unlimited)


def test_too_many_documents_are_refused():
    check_count(2, LIMITS)
    with pytest.raises(DocumentRejected, match=r"^Too many documents: 3 attached, at most 2 per message\."):
        check_count(3, LIMITS)


def test_a_damaged_docx_and_an_old_doc_renamed_say_to_save_as_docx():
    for data in (docx_with("fine")[:500], b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100):
        with pytest.raises(DocumentRejected) as caught:
            extract_document("memo.docx", data, LIMITS)
        assert str(caught.value).startswith("memo.docx is not a Word document python-docx can read")
        assert "save it as .docx (without a password)" in str(caught.value)


def test_a_docx_without_text_says_so():
    with pytest.raises(DocumentRejected, match=r"^empty\.docx has no text"):
        extract_document("empty.docx", docx_with(), LIMITS)


def test_the_first_problem_in_a_batch_names_its_file():
    files = [("ok.txt", b"fine"), ("scan.pdf", scanned_pdf()), ("locked.pdf", encrypted_pdf())]
    with pytest.raises(DocumentRejected, match=r"^scan\.pdf has no text layer"):
        extract_documents(files, LIMITS)


def test_which_files_are_documents():
    assert [is_document(n) for n in ("a.PDF", "b.docx", "c.py", "d.rs", "e.png", "f", "g.doc", ".py")] == [
        True, True, True, True, False, False, False, False,
    ]  # fmt: skip


def test_limits_come_from_the_settings():
    environ = {
        "GPTPROTO_DOCUMENT_MAX_BYTES": "2048",
        "GPTPROTO_DOCUMENT_MAX_PAGES": "7",
        "GPTPROTO_DOCUMENT_MAX_COUNT": "1",
        "GPTPROTO_DOCUMENT_MAX_CHARS": "0",
    }
    assert DocumentLimits.from_settings(resolve_settings({}, environ, {})) == DocumentLimits(2048, 7, 1, 0)


def test_default_limits():
    defaults = resolve_settings({}, {}, {})
    assert DocumentLimits.from_settings(defaults) == DocumentLimits(10 * 1024 * 1024, 100, 5, 400_000)


def test_a_bad_limit_names_the_setting():
    with pytest.raises(SettingsError, match="GPTPROTO_DOCUMENT_MAX_PAGES"):
        resolve_settings({}, {"GPTPROTO_DOCUMENT_MAX_PAGES": "many"}, {})


def test_chip_label_names_kind_and_pages_or_size():
    pdf = DocumentAttachment("report.pdf", "pdf", "t", pages=3, size=52_000)
    one = DocumentAttachment("one.pdf", "pdf", "t", pages=1, size=900)
    code = DocumentAttachment("main.py", "text", "t", size=2048)
    assert chip_label(pdf) == "report.pdf (PDF, 3 pages, 51 KB)"
    assert chip_label(one) == "one.pdf (PDF, 1 page, 900 bytes)"
    assert chip_label(code) == "main.py (text, 2 KB)"


REPORT = DocumentAttachment("report.pdf", "pdf", "[page 1]\nRevenue grew", pages=1, size=900)
CODE = DocumentAttachment('a"b<c>.py', "text", "print(1)\n", size=9)


def test_documents_are_text_parts_named_by_file_after_the_typed_text():
    payload = message_payload(user_message("Summarise", documents=[REPORT, CODE]))
    assert payload == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Summarise"},
            {"type": "text", "text": '<file name="report.pdf">\n[page 1]\nRevenue grew\n</file>'},
            {"type": "text", "text": '<file name="a&quot;b&lt;c&gt;.py">\nprint(1)\n\n</file>'},
        ],
    }


def test_a_document_without_typed_text_is_sent_alone():
    assert message_payload(user_message("", documents=[REPORT]))["content"] == [
        {"type": "text", "text": '<file name="report.pdf">\n[page 1]\nRevenue grew\n</file>'}
    ]


def test_regenerate_and_edit_send_the_documents_again():
    history: list = []
    first = send(history, "Summarise", "o4-mini", documents=[REPORT])
    assert first.prompt.documents == [REPORT]
    again = retry(history, "gpt-4o")
    assert again is not None and again.prompt.documents == [REPORT]
    edited = edit(history, first.prompt.id, "Summarise in French", "o4-mini")
    assert edited is not None and edited.prompt.documents == [REPORT]
    assert edited.prompt.id != first.prompt.id
