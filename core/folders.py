"""Folders that a person files their conversations and comparisons in: the rule for a folder's
name, said once for the page, the store and an import."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from core.safe_text import one_line

MAX_FOLDER_NAME_CHARS = 60
NO_FOLDER = ""  # as the folder of a listing: only what is in no folder


class FolderNameRejected(ValueError):
    """A folder name that cannot be used; the message says why and what to do."""


def folder_key(name: str) -> str:
    """What makes two names the same folder: case and spacing do not count."""
    return one_line(name).casefold()


def clean_folder_name(name: str, taken: Iterable[str] = ()) -> str:
    """`name` as stored (one line, spaces collapsed), or FolderNameRejected when it is empty, too
    long, or already the name of one of `taken` (the person's other folders)."""
    clean = one_line(name)
    if not clean:
        raise FolderNameRejected("A folder needs a name: type one.")
    if len(clean) > MAX_FOLDER_NAME_CHARS:
        raise FolderNameRejected(
            f"A folder name is at most {MAX_FOLDER_NAME_CHARS} characters; this one has {len(clean)}. "
            "Shorten it."
        )
    if folder_key(clean) in {folder_key(other) for other in taken}:
        raise name_taken(clean)
    return clean


def name_taken(name: str) -> FolderNameRejected:
    """The refusal of a name the person already gave another folder."""
    return FolderNameRejected(f"You already have a folder named “{name}”. Pick another name.")


class Filed(Protocol):
    """Anything a person files in a folder (a library line)."""

    @property
    def folder_id(self) -> str | None: ...


T = TypeVar("T", bound=Filed)


def group_by_folder(
    items: Sequence[T], folders: Sequence[tuple[str, str]]
) -> list[tuple[str | None, list[T]]]:
    """`items` grouped by their folder, in the order of `folders` ((id, name) pairs, by name),
    then those in no folder (name None); each group keeps the items' order, and an empty group
    is left out. An item whose folder is not among `folders` counts as in no folder."""
    names = dict(folders)
    groups: dict[str | None, list[T]] = {}
    for item in items:
        groups.setdefault(item.folder_id if item.folder_id in names else None, []).append(item)
    ordered: list[tuple[str | None, list[T]]] = [
        (names[folder_id], groups[folder_id]) for folder_id, _ in folders if folder_id in groups
    ]
    if None in groups:
        ordered.append((None, groups[None]))
    return ordered
