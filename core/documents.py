"""Files a user attaches whose text is sent (PDF, Word, plain text and source code): the text is
extracted here, on the server, with pypdf and python-docx; each problem is a message naming the
file and what to do."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from core.conversation import DocumentAttachment, DocumentKind
from core.images import format_bytes
from core.settings import Settings

TEXT_TYPES = (
    "txt", "md", "markdown", "csv", "tsv", "json", "jsonl", "xml", "log", "ini", "cfg", "conf",
    "py", "js", "jsx", "ts", "tsx", "java", "kt", "go", "rs", "c", "h", "cpp", "hpp", "cc", "cs",
    "rb", "php", "swift", "scala", "sh", "bash", "ps1", "r", "sql", "yaml", "yml", "toml",
    "html", "htm", "css", "scss", "vue", "svelte", "tex", "rst",
)  # fmt: skip
DOCUMENT_TYPES = ("pdf", "docx", *TEXT_TYPES)
KIND_LABELS: dict[DocumentKind, str] = {"pdf": "PDF", "docx": "Word", "text": "text"}
# A .docx is a zip: its parts, unpacked, may be this many times the upload before it is refused
# (real documents unpack to 2 to 10 times their size; a zip bomb to thousands).
MAX_DOCX_EXPANSION = 40


class DocumentRejected(ValueError):
    """An attachment whose text cannot be sent; the message says which file and what to do."""


@dataclass(frozen=True)
class DocumentLimits:
    """Zero means no limit for any field."""

    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 100
    max_count: int = 5
    max_chars: int = 400_000

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        return cls(
            settings.document_max_bytes,
            settings.document_max_pages,
            settings.document_max_count,
            settings.document_max_chars,
        )


def extension(name: str) -> str:
    """The file name's extension, lower case, without the dot ('' when it has none)."""
    stem, dot, suffix = name.rpartition(".")
    return suffix.lower() if dot and stem else ""


def is_document(name: str) -> bool:
    """True for a file name whose text is sent (by its extension)."""
    return extension(name) in DOCUMENT_TYPES


def kind_of(name: str) -> DocumentKind:
    """How a file of this name is read."""
    suffix = extension(name)
    if suffix == "pdf":
        return "pdf"
    if suffix == "docx":
        return "docx"
    return "text"


def check_count(count: int, limits: DocumentLimits) -> None:
    if limits.max_count and count > limits.max_count:
        raise DocumentRejected(
            f"Too many documents: {count} attached, at most {limits.max_count} per message. "
            "Remove some and send again."
        )


def extract_documents(files: Iterable[tuple[str, bytes]], limits: DocumentLimits) -> list[DocumentAttachment]:
    """Every file's text, in order; the first problem raises DocumentRejected."""
    return [extract_document(name, data, limits) for name, data in files]


def extract_document(name: str, data: bytes, limits: DocumentLimits) -> DocumentAttachment:
    """The file's text, read as its extension says, within the limits."""
    if limits.max_bytes and len(data) > limits.max_bytes:
        raise DocumentRejected(
            f"{name} is {format_bytes(len(data))}; the limit is {format_bytes(limits.max_bytes)} per "
            "document. Attach a smaller file, or split it and send the parts one message at a time."
        )
    kind = kind_of(name)
    pages: int | None = None
    if kind == "pdf":
        text, pages = _pdf_text(name, data, limits)
    elif kind == "docx":
        text = _docx_text(name, data)
    else:
        text = _plain_text(name, data)
    text = text.replace("\x00", "")  # no database text column takes NUL, and no model needs it
    if limits.max_chars and len(text) > limits.max_chars:
        raise DocumentRejected(
            f"{name} holds {len(text):,} characters of text; the limit is {limits.max_chars:,} per "
            "document. Attach the part you need, or split it and send the parts one at a time."
        )
    return DocumentAttachment(name=name, kind=kind, text=text, pages=pages, size=len(data))


def _plain_text(name: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentRejected(
            f"{name} looks like a binary file, not text. Attach the text itself (or a PDF or .docx)."
        )
    try:
        return data.decode("utf-8-sig")  # UTF-8, with or without the byte-order mark some editors write
    except UnicodeDecodeError as error:
        raise DocumentRejected(
            f"{name} is not UTF-8 text (byte {error.object[error.start]:#04x} at position {error.start:,} "
            "is not valid UTF-8). Save it as UTF-8 in your editor and attach it again."
        ) from None


def _pdf_text(name: str, data: bytes, limits: DocumentLimits) -> tuple[str, int]:
    from pypdf import PdfReader  # imported on first use: most pages never read a PDF
    from pypdf.errors import DependencyError, FileNotDecryptedError

    # pypdf raises many kinds of error on a damaged file (its own, ValueError, KeyError, struct and
    # zlib errors...); whatever it raises while reading, the file is one it cannot read.
    try:
        reader = PdfReader(io.BytesIO(data))
        # One encrypted with an empty user password (only editing restricted) opens as it is.
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("needs a password")
        count = len(reader.pages)
        if limits.max_pages and count > limits.max_pages:
            raise DocumentRejected(
                f"{name} has {count:,} pages; the limit is {limits.max_pages:,} per document. "
                "Attach only the pages you need (print them to a new PDF), or split it."
            )
        texts = [(page.extract_text() or "").strip() for page in reader.pages]
    except DocumentRejected:
        raise
    except (FileNotDecryptedError, DependencyError):
        raise DocumentRejected(
            f"{name} is encrypted (password-protected), so its text cannot be read. Open it, save a "
            "copy without the password (or print it to a new PDF) and attach that."
        ) from None
    except Exception:
        raise DocumentRejected(
            f"{name} is damaged or not really a PDF, so its text cannot be read. Open it in a PDF "
            "viewer and save (or print) it as a new PDF, then attach that."
        ) from None
    if not any(texts):
        raise DocumentRejected(
            f"{name} has no text layer: it looks scanned (pages of images), so there is no text to "
            "send. Run it through OCR (text recognition) first, or attach the pages as images."
        )
    return "\n\n".join(f"[page {n}]\n{text}" for n, text in enumerate(texts, start=1) if text), count


def _docx_text(name: str, data: bytes) -> str:
    damaged = DocumentRejected(
        f"{name} is not a Word document python-docx can read (damaged, password-protected, or an "
        "older .doc renamed). Open it in Word or LibreOffice, save it as .docx (without a password) "
        "and attach it again."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise damaged from None
    if unpacked > MAX_DOCX_EXPANSION * max(len(data), 64 * 1024):
        raise DocumentRejected(
            f"{name} unpacks to {format_bytes(unpacked)}, far more than a document of "
            f"{format_bytes(len(data))} holds; it is not sent. Save it again from Word and re-attach it."
        )
    import docx  # imported on first use: most pages never read a Word file

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [paragraph.text for paragraph in document.paragraphs]
        for table in document.tables:
            paragraphs += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    except Exception:
        raise damaged from None
    text = "\n".join(paragraphs).strip()
    if not text:
        raise DocumentRejected(
            f"{name} has no text (perhaps only pictures). Attach a document with text, or the "
            "pictures themselves as images."
        )
    return text


def chip_label(document: DocumentAttachment) -> str:
    """What the chip on a message says: name, kind, and pages or size."""
    detail = f"{document.pages} page{'s' if document.pages != 1 else ''}" if document.pages else None
    size = format_bytes(document.size) if document.size else None
    parts = [KIND_LABELS.get(document.kind, document.kind), *(p for p in (detail, size) if p)]
    return f"{document.name} ({', '.join(parts)})"
