"""Real PDF and Word files for the tests, built from scratch on each run (nothing binary is
committed): a PDF with a text layer, a scanned-like one (an image and no text), an encrypted one,
a damaged one, and .docx files written with python-docx."""

from __future__ import annotations

import io
import zlib

from pypdf import PdfReader, PdfWriter


def pdf_with_text(*pages: str) -> bytes:
    """A PDF whose pages each show one line of text in Helvetica (ASCII, no parentheses)."""
    contents = [f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii") for text in pages]
    return _pdf(contents, with_image=False)


def scanned_pdf(page_count: int = 1) -> bytes:
    """A PDF whose pages hold only a picture, as a scanner writes them: no text to extract."""
    return _pdf([b"q 400 0 0 500 100 150 cm /Im1 Do Q"] * page_count, with_image=True)


def encrypted_pdf(text: str = "Top secret figures", password: str = "s3cret") -> bytes:
    """A PDF with text that opens only with a password (AES-128)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(text))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def restricted_pdf(text: str = "Read me freely") -> bytes:
    """A PDF encrypted with an empty user password: it opens without one (editing is restricted)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text(text))))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def damaged_pdf() -> bytes:
    """A PDF cut off in its first object, as an interrupted download leaves it."""
    return pdf_with_text("This text is lost")[:120]


def docx_with(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    """A Word document with these paragraphs (and a table, when given)."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf(contents: list[bytes], *, with_image: bool) -> bytes:
    """A minimal, valid PDF 1.4 written object by object, with a correct cross-reference table."""
    count = len(contents)
    page_ids = [4 + 2 * n for n in range(count)]
    image_id = 4 + 2 * count
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % i for i in page_ids)
        + b"] /Count %d >>" % count,
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    xobjects = b" /XObject << /Im1 %d 0 R >>" % image_id if with_image else b""
    for page_id, content in zip(page_ids, contents, strict=True):
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >>%s >> >>" % (page_id + 1, xobjects)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    if with_image:
        pixels = zlib.compress(bytes((x * 7 + y * 3) % 256 for y in range(32) for x in range(32)))
        objects[image_id] = (
            b"<< /Type /XObject /Subtype /Image /Width 32 /Height 32 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
            % (len(pixels), pixels)
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)
