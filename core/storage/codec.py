"""Messages and parameters to and from their stored form."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from core.conversation import ChatParams, DocumentAttachment, ImageAttachment, Message, Status, Timing, Usage
from core.gateway.errors import ErrorKind, GatewayError
from core.sampling import Sampling, SamplingError, sampling_from_dict
from core.storage.schema import ImageRow, MessageRow, max_length

# Error texts are JSON without a column limit; a gateway's error can still be a whole HTML page,
# and the user needs its start, not megabytes in every reload.
ERROR_TEXT_LIMIT = 4000


def now() -> datetime:
    """The current time, in UTC, as every stored timestamp is."""
    return datetime.now(UTC)


def clip(text: str | None, limit: int | None) -> str | None:
    """`text` cut to `limit` characters, so a long value is stored shortened instead of refused."""
    if text is None or limit is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def clip_file_name(name: str, limit: int | None) -> str:
    """A file name cut to `limit` characters, keeping a short extension (`report…v2.png`)."""
    if limit is None or len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 16:
        return name[: limit - 1] + "…"
    return stem[: limit - len(extension) - 2] + "…." + extension


def params_to_dict(params: ChatParams) -> dict[str, Any]:
    """The parameters as JSON: the optional ones (reasoning effort, sampling) only when set."""
    return {**asdict(params), "sampling": params.sampling.as_dict()}


def params_from_dict(data: dict[str, Any]) -> ChatParams:
    """Parameters from JSON, ignoring keys a newer or older version wrote (and optional
    parameters this version cannot send: they were the app's own, never typed in an import)."""
    known = {f.name for f in fields(ChatParams)}
    values = {k: v for k, v in data.items() if k in known}
    try:
        values["sampling"] = sampling_from_dict(values.get("sampling"))
    except SamplingError:
        values["sampling"] = Sampling()
    return ChatParams(**values)


def usage_from_dict(data: dict[str, Any] | None) -> Usage | None:
    """Usage from JSON, ignoring unknown keys."""
    if data is None:
        return None
    known = {f.name for f in fields(Usage)}
    return Usage(**{k: int(v) for k, v in data.items() if k in known})


def error_to_dict(error: GatewayError | None) -> dict[str, Any] | None:
    """The error as JSON, its texts clipped to ERROR_TEXT_LIMIT."""
    if error is None:
        return None
    data = {k: clip(v, ERROR_TEXT_LIMIT) if isinstance(v, str) else v for k, v in asdict(error).items()}
    return {**data, "kind": error.kind.value}


def error_from_dict(data: dict[str, Any] | None) -> GatewayError | None:
    """An error from JSON; an unknown kind reads as a stream error."""
    if data is None:
        return None
    known = {f.name for f in fields(GatewayError)}
    values = {k: v for k, v in data.items() if k in known}
    values["kind"] = ErrorKind(values["kind"]) if values.get("kind") in set(ErrorKind) else ErrorKind.STREAM
    return GatewayError(**values)


def fill_row(row: MessageRow, message: Message, params: ChatParams | None) -> None:
    """Copy everything about the message onto its row (insert or update)."""
    row.parent_id = message.parent_id
    row.role = message.role
    row.text = message.text
    row.name = clip(message.name, max_length(MessageRow.name))
    row.model = clip(message.model, max_length(MessageRow.model))
    row.params = params_to_dict(params) if params is not None else row.params
    row.status = message.status.value
    row.finish_reason = clip(message.finish_reason, max_length(MessageRow.finish_reason))
    row.usage = asdict(message.usage) if message.usage else None
    row.usage_reported = message.usage_reported
    row.first_token_s = message.timing.first_token_s
    row.total_s = message.timing.total_s
    row.error = error_to_dict(message.error)
    row.documents = documents_to_list(message.documents)
    row.updated_at = now()


def documents_to_list(documents: list[DocumentAttachment]) -> list[dict[str, Any]] | None:
    """The documents as JSON (None when there are none, as every earlier row has)."""
    return [asdict(document) for document in documents] or None


def documents_from_list(data: list[dict[str, Any]] | None) -> list[DocumentAttachment]:
    """Documents from JSON, ignoring keys a newer or older version wrote."""
    known = {f.name for f in fields(DocumentAttachment)}
    return [DocumentAttachment(**{k: v for k, v in item.items() if k in known}) for item in data or []]


def image_rows(message: Message) -> list[ImageRow]:
    """The rows of the message's images, in order, names clipped to the column."""
    return [
        ImageRow(
            message_id=message.id,
            position=position,
            name=clip_file_name(image.name, max_length(ImageRow.name)),
            mime=clip(image.mime, max_length(ImageRow.mime)) or "",
            data=image.data,
            url=image.url,
            width=image.width,
            height=image.height,
        )
        for position, image in enumerate(message.images)
    ]


def message_from_row(row: MessageRow, images: list[ImageRow]) -> Message:
    """The message a row (and its image rows) stores."""
    status = Status(row.status) if row.status in set(Status) else Status.INCOMPLETE
    return Message(
        role="user" if row.role == "user" else "assistant",
        text=row.text,
        id=row.id,
        name=row.name,
        images=[
            ImageAttachment(name=i.name, mime=i.mime, data=i.data, width=i.width, height=i.height, url=i.url)
            for i in sorted(images, key=lambda i: i.position)
        ],
        documents=documents_from_list(row.documents),
        created_at=row.created_at.timestamp(),
        parent_id=row.parent_id,
        model=row.model,
        status=status,
        finish_reason=row.finish_reason,
        usage=usage_from_dict(row.usage),
        usage_reported=row.usage_reported,
        timing=Timing(row.first_token_s, row.total_s),
        error=error_from_dict(row.error),
    )
