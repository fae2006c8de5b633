"""One conversation exported as Markdown (to read) or JSON (to import back), and its import: the
mapping between the app's conversation tree and core.formats.conversation_schema. The file is
read by core.formats.strict, so a wrong or hostile one is refused with what, where and what to
do, and changes nothing. Inline images pass the upload checks and are re-encoded, so their
metadata (EXIF, GPS, text chunks) is gone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.answer_notes import STATUS_LABELS, usage_line
from core.branches import ConversationTree
from core.conversation import ChatParams, Message, Status
from core.feedback import Feedback
from core.formats.checks import ImportRejected
from core.formats.conversation_schema import (
    CONVERSATION,
    FORMAT,
    VERSION,
    ConversationExport,
    ExportMessage,
)
from core.formats.messages import (
    document_from,
    document_line,
    export_document,
    export_image,
    image_from,
    message_from,
    recorded_fields,
)
from core.formats.parts import export_feedback, export_text, feedback_from, imported_folder
from core.formats.strict import read
from core.images import ImageLimits


@dataclass
class Imported:
    title: str
    params: ChatParams
    tree: ConversationTree
    feedback: dict[str, Feedback] = field(default_factory=dict)  # by the new ids of answers
    folder: str | None = None


def export_json(
    title: str,
    params: ChatParams,
    tree: ConversationTree,
    *,
    feedback: Mapping[str, Feedback] | None = None,
    folder: str | None = None,
) -> str:
    """Every message of every branch, with images inline and documents' text, and the path on
    show; the exporting person's `feedback` on answers (by message id) and `folder` when given (a
    shared link has neither)."""
    verdicts = feedback or {}
    messages = [_export_message(m, verdicts.get(m.id)) for m in tree.messages.values()]
    extra = {} if folder is None else {"folder": folder}
    return export_text(
        ConversationExport, FORMAT, VERSION, title, params, leaf_id=tree.leaf_id, messages=messages, **extra
    )


def _export_message(message: Message, feedback: Feedback | None) -> ExportMessage:
    return ExportMessage.model_construct(
        id=message.id,
        parent_id=message.parent_id,
        role=message.role,
        name=message.name,
        images=[export_image(image) for image in message.images],
        documents=[export_document(document) for document in message.documents],
        **recorded_fields(message),
        feedback=export_feedback(feedback),
    )


def export_markdown(title: str, params: ChatParams, path: list[Message]) -> str:
    """The conversation on show, as a readable Markdown document."""
    lines = [f"# {title}", "", f"- Model: `{params.model}`"]
    if params.max_completion_tokens:
        lines.append(f"- max_completion_tokens: {params.max_completion_tokens}")
    if not params.sampling.is_empty():
        lines.append(f"- Parameters: {params.sampling.summary()}")
    if params.instructions:
        lines += [f"- Instructions ({params.instructions_role}):", "", _quote(params.instructions)]
    lines.append("")
    for message in path:
        if message.role == "user":
            who = f"You ({message.name})" if message.name else "You"
            lines += [f"## {who}", "", message.text]
            lines += [document_line(document) for document in message.documents]
            lines += [f"*[image: {image.url or image.name}]*" for image in message.images]
        else:
            lines += [f"## {message.model or 'Assistant'}", "", message.text or "_(no text)_", ""]
            note = STATUS_LABELS.get(message.status)
            if note and message.status != Status.COMPLETE:
                lines.append(f"*{note}*")
            lines.append(f"<sub>{usage_line(message)}</sub>")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines())


def import_json(raw: bytes, image_limits: ImageLimits | None = None) -> Imported:
    """Parse and check an export; every id is replaced so nothing can collide with stored rows.
    Inline images are checked and re-encoded with `image_limits` (the upload limits)."""
    export = read(raw, CONVERSATION)
    limits = image_limits or ImageLimits()
    new_ids: dict[str, str] = {}
    messages = [
        _message(item, f"messages[{index}]", new_ids, limits) for index, item in enumerate(export.messages)
    ]
    leaf_id = new_ids.get(export.leaf_id) if export.leaf_id else None
    params = export.params.to_params()
    feedback = {
        new_ids[item.id]: verdict
        for item in export.messages
        if (verdict := feedback_from(item.feedback)) is not None
    }
    tree = ConversationTree.of(messages, leaf_id)
    title = export.title or "Imported chat"
    return Imported(title, params, tree, feedback, imported_folder(export.folder))


def _message(item: ExportMessage, where: str, new_ids: dict[str, str], limits: ImageLimits) -> Message:
    if item.id in new_ids:
        raise ImportRejected(f"{where}.id: repeats the id of an earlier message; ids must be unique.")
    if item.parent_id is not None and item.parent_id not in new_ids:
        raise ImportRejected(
            f"{where}.parent_id: names no message before it in the file; a message follows its parent."
        )
    if item.feedback is not None and item.role != "assistant":
        raise ImportRejected(f"{where}.feedback: only an answer (role assistant) has feedback; remove it.")
    images = [image_from(image, f"{where}.images[{n}]", limits) for n, image in enumerate(item.images)]
    parent_id = new_ids[item.parent_id] if item.parent_id is not None else None
    documents = [document_from(document) for document in item.documents]
    if documents and item.role != "user":
        raise ImportRejected(f"{where}.documents: only a prompt (role user) carries documents.")
    message = message_from(item, item.role, parent_id, name=item.name, images=images, documents=documents)
    new_ids[item.id] = message.id
    return message
