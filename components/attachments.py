"""Images and documents attached in the chat input: images checked and re-encoded, documents'
text extracted, before sending; on a problem the typed text goes back into the input box with a
message naming the file and what to do."""

from __future__ import annotations

from typing import Any, NoReturn

import streamlit as st

from components.state.common import RESTORE_PROBLEM, RESTORE_TEXT
from core.conversation import DocumentAttachment, ImageAttachment, image_link
from core.documents import DOCUMENT_TYPES, DocumentLimits, DocumentRejected, extract_documents, is_document
from core.documents import check_count as check_document_count
from core.images import (
    ACCEPTED_TYPES,
    ImageLimits,
    ImageRejected,
    check_count,
    find_image_links,
    prepare_images,
)
from core.safe_text import SafeMarkdown, literal
from core.settings import Settings


def restore_rejected_input(input_key: str) -> SafeMarkdown | None:
    """Before the chat input is drawn: put back text from a rejected submission; return the
    problem to show, if any."""
    text = st.session_state.pop(RESTORE_TEXT, None)
    if text:
        st.session_state[input_key] = text
    problem: str | None = st.session_state.pop(RESTORE_PROBLEM, None)
    return literal(problem) if problem else None  # it names files and models


def submitted(input_key: str) -> Any:
    """What a chat input that takes files sends this run, read from its state before it is
    drawn, so the turn can be sent first; None when nothing was sent. As st.chat_input returns
    it: a submission is never a plain string, and a string there is a rejected prompt being put
    back into the box (restore_rejected_input runs first)."""
    value = st.session_state.get(input_key)
    return None if isinstance(value, str) else value


def reject_submission(text: str, problem: str) -> NoReturn:
    """Keep the text for the next run and rerun so it is back in the input box."""
    st.session_state[RESTORE_TEXT] = text
    st.session_state[RESTORE_PROBLEM] = problem
    st.rerun()


def submission_parts(submission: Any) -> tuple[str, list[tuple[str, bytes]]]:
    """The text and the raw files of a chat input value (a string when files are off)."""
    if submission is None:
        return "", []
    if isinstance(submission, str):
        return submission, []
    files = [(file.name, file.getvalue()) for file in (submission.get("files") or [])]
    return str(submission.get("text") or ""), files


# What the chat inputs' file pickers offer: images, then the documents whose text is sent.
ATTACHABLE_TYPES = [*ACCEPTED_TYPES, *DOCUMENT_TYPES]


class AttachmentRejected(ValueError):
    """An image or a document that cannot be sent; the message names the file and what to do."""


def collect_attachments(
    text: str, files: list[tuple[str, bytes]], settings: Settings, send_links: bool
) -> tuple[list[ImageAttachment], list[DocumentAttachment]]:
    """The images (checked, re-encoded, plus image links when the user opted in) and the
    documents (their text extracted) of one submission; raises AttachmentRejected."""
    documents = [(name, data) for name, data in files if is_document(name)]
    images = [(name, data) for name, data in files if not is_document(name)]
    try:
        return _images(text, images, settings, send_links), _documents(documents, settings)
    except (ImageRejected, DocumentRejected) as error:
        raise AttachmentRejected(str(error)) from None


def _images(
    text: str, files: list[tuple[str, bytes]], settings: Settings, send_links: bool
) -> list[ImageAttachment]:
    """Checked, re-encoded uploads, plus image links when the user opted in; raises ImageRejected."""
    limits = ImageLimits.from_settings(settings)
    links = [image_link(url) for url in find_image_links(text)] if send_links else []
    check_count(len(files) + len(links), limits)
    return [*prepare_images(files, limits), *links]


def _documents(files: list[tuple[str, bytes]], settings: Settings) -> list[DocumentAttachment]:
    """Each document's text, extracted on the server; raises DocumentRejected."""
    limits = DocumentLimits.from_settings(settings)
    check_document_count(len(files), limits)
    return extract_documents(files, limits)


def detected_links_note(text: str) -> str | None:
    """A hint when the message contains image links that will be sent as text only."""
    links = find_image_links(text)
    if not links:
        return None
    return (
        f"{len(links)} image link(s) in your message were sent as text. Turn on "
        "'Send image links as images' in the sidebar to send them as images."
    )
