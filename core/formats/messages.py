"""The app's messages, images and documents in their exported form and back. A conversation's messages and
a comparison's answers carry the same recorded fields, and every format's inline images pass the
same upload checks, so both directions are written once, here."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Protocol

from core.conversation import DocumentAttachment, ImageAttachment, Message, Role, Status, Timing, Usage
from core.documents import chip_label
from core.formats.checks import ImportRejected
from core.formats.parts import ExportDocument, ExportImage, ExportTiming, ExportUsage
from core.gateway.errors import GatewayError
from core.images import ImageLimits, ImageRejected, prepare_image


class Recorded(Protocol):
    """What an exported conversation message and an exported comparison answer both hold."""

    @property
    def text(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def finish_reason(self) -> str | None: ...
    @property
    def usage(self) -> ExportUsage | None: ...
    @property
    def usage_reported(self) -> bool: ...
    @property
    def timing(self) -> ExportTiming: ...
    @property
    def created_at(self) -> float | None: ...


def recorded_fields(message: Message) -> dict[str, Any]:
    """The recorded fields of `message`, as keyword arguments for an export model.

    Built unvalidated (model_construct): whatever is stored can be exported; the import is
    where the checks belong."""
    return {
        "text": message.text,
        "model": message.model,
        "status": message.status.value,
        "finish_reason": message.finish_reason,
        "usage": ExportUsage.model_construct(**asdict(message.usage)) if message.usage else None,
        "usage_reported": message.usage_reported,
        "timing": ExportTiming.model_construct(**asdict(message.timing)),
        "created_at": message.created_at,
    }


def message_from(
    item: Recorded,
    role: Role,
    parent_id: str | None,
    *,
    name: str | None = None,
    images: Sequence[ImageAttachment] = (),
    documents: Sequence[DocumentAttachment] = (),
    error: GatewayError | None = None,
) -> Message:
    """A new message (a fresh id) from an imported one; an answer still streaming when it was
    exported is incomplete now."""
    status = Status(item.status)
    return Message(
        role=role,
        text=item.text,
        id=uuid.uuid4().hex,
        name=name,
        images=list(images),
        documents=list(documents),
        created_at=created(item.created_at),
        parent_id=parent_id,
        model=item.model,
        status=Status.INCOMPLETE if status == Status.STREAMING else status,
        finish_reason=item.finish_reason,
        usage=Usage(**item.usage.model_dump()) if item.usage else None,
        usage_reported=item.usage_reported,
        timing=Timing(**item.timing.model_dump()),
        error=error,
    )


def created(at: float | None) -> float:
    """When an imported message was written: as the file says, or now when it does not."""
    return at if at is not None else datetime.now(UTC).timestamp()


def export_image(image: ImageAttachment) -> ExportImage:
    """An image as exported: inline in base64, or the link the user sent."""
    common: dict[str, Any] = {
        "name": image.name,
        "mime": image.mime,
        "width": image.width,
        "height": image.height,
    }
    if image.url:
        return ExportImage.model_construct(**common, url=image.url)
    return ExportImage.model_construct(**common, data=base64.b64encode(image.data).decode("ascii"))


def image_from(image: ExportImage, where: str, limits: ImageLimits) -> ImageAttachment:
    """An imported image: a link as it was, an inline one checked and re-encoded like an upload."""
    if image.url is not None:
        return ImageAttachment(name=image.name or "image", mime="", data=b"", url=image.url)
    return inline_image(image.name or "image", image.data or "", where, limits)


def inline_image(name: str, data: str, where: str, limits: ImageLimits) -> ImageAttachment:
    """A base64 image from a file, through the upload checks: oriented, downscaled and
    re-encoded from the pixels alone, so EXIF, GPS and text chunks are gone."""
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ImportRejected(f"{where}.data: is not valid base64.") from None
    try:
        return prepare_image(name, decoded, limits)
    except ImageRejected as error:
        raise ImportRejected(f"{where}: {error}") from None


def export_document(document: DocumentAttachment) -> ExportDocument:
    """A document as exported: its name, kind, pages, size and the text that was sent."""
    return ExportDocument.model_construct(**asdict(document))


def document_from(document: ExportDocument) -> DocumentAttachment:
    """An imported document, as the schema checked it (the file itself is not in the export)."""
    return DocumentAttachment(
        name=document.name, kind=document.kind, text=document.text, pages=document.pages, size=document.size
    )


def document_line(document: DocumentAttachment) -> str:
    """A document as one line of a Markdown export."""
    return f"*[file: {chip_label(document)}]*"
