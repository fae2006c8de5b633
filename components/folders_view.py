"""Folders on the Conversations page: create, rename and delete them, file a conversation or
comparison in one from its row, and the choice of folder the list and its search keep to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from components.plumbing.storage import NotFound, RunStore, safely
from components.state import conversations as state
from core.folders import MAX_FOLDER_NAME_CHARS, NO_FOLDER, FolderNameRejected
from core.safe_text import literal

if TYPE_CHECKING:
    from components.plumbing.storage import ConversationInfo, FolderInfo, FolderStore

NO_FOLDER_LABEL = "No folder"
FOLDER_ICON = ":material/folder:"


def list_folders(store: RunStore) -> list[FolderInfo]:
    """The person's folders, by name (none while the database is away)."""
    folders = store.folders()
    return (safely(folders.folders) or []) if folders is not None else []


def folder_name(folders: list[FolderInfo], folder_id: str | None) -> str | None:
    """The name of the folder `folder_id` among `folders`, or None."""
    return next((folder.name for folder in folders if folder.id == folder_id), None)


def render_folder_filter(folders: list[FolderInfo]) -> str | None:
    """Which folder the list and its search keep to: an id, NO_FOLDER, or None for every one."""
    names = {folder.id: folder.name for folder in folders}
    options = [state.EVERY_FOLDER, NO_FOLDER, *names]
    if st.session_state.get(state.FOLDER_FILTER) not in options:
        st.session_state.pop(state.FOLDER_FILTER, None)  # its folder was deleted: show every one
    labels = {state.EVERY_FOLDER: "All folders", NO_FOLDER: NO_FOLDER_LABEL, **names}
    chosen = st.selectbox(
        "Folder",
        options,
        format_func=lambda option: labels[option],  # a select box shows its options as plain text
        key=state.FOLDER_FILTER,
        help="Show (and search) one folder only",
    )
    return None if chosen in (None, state.EVERY_FOLDER) else chosen


def render_folder_manager(store: RunStore, folders: list[FolderInfo]) -> None:
    """Create a folder; rename or delete each one (deleting keeps its conversations, in no folder)."""
    notice = state.take_folder_notice()
    with st.expander(f"Folders ({len(folders)})", icon=FOLDER_ICON, expanded=notice is not None):
        if notice is not None:
            ok, text = notice
            if ok:
                st.success(literal(text), icon=":material/check:")
            else:
                st.error(literal(text), icon=":material/error:")
        row = st.container(horizontal=True, vertical_alignment="bottom")
        row.text_input(
            "New folder", key=state.NEW_FOLDER, max_chars=MAX_FOLDER_NAME_CHARS, placeholder="e.g. Work"
        )
        row.button(
            "Create folder",
            key=state.NEW_FOLDER_CREATE,
            icon=":material/create_new_folder:",
            on_click=_create,
            args=(store,),
        )
        for folder in folders:
            _render_folder(store, folder)


def _render_folder(store: RunStore, folder: FolderInfo) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"{FOLDER_ICON} **{literal(folder.name)}** :gray[· {folder.count:d}]", width="stretch")
        with st.popover("Rename", icon=":material/edit:", key=state.folder_key("rename_box", folder.id)):
            st.text_input(
                "New name",
                value=folder.name,
                max_chars=MAX_FOLDER_NAME_CHARS,
                key=state.folder_key("name", folder.id),
            )
            st.button(
                "Save name", key=state.folder_key("rename", folder.id), on_click=_rename, args=(store, folder)
            )
        with st.popover(
            "Delete", icon=":material/folder_delete:", key=state.folder_key("delete_box", folder.id)
        ):
            st.caption(
                f"Its {folder.count:d} conversation(s) and comparison(s) stay, in no folder. "
                "Only the folder goes."
            )
            st.button(
                "Delete folder",
                key=state.folder_key("delete", folder.id),
                on_click=_delete,
                args=(store, folder),
                type="primary",
            )


def render_move_menu(store: RunStore, info: ConversationInfo, folders: list[FolderInfo]) -> None:
    """The row's Folder menu: the folder this conversation (or comparison) is filed in."""
    names = {folder.id: folder.name for folder in folders}
    options = [NO_FOLDER, *names]
    current = info.folder_id if info.folder_id in names else NO_FOLDER
    with st.popover("Folder", icon=FOLDER_ICON, key=state.row_key("folder_box", info.id)):
        st.selectbox(
            "Move to folder",
            options,
            index=options.index(current),
            format_func=lambda option: names.get(option, NO_FOLDER_LABEL),
            key=state.row_key("folder", info.id),
            on_change=_file,
            args=(store, info.id),
        )
        if not folders:
            st.caption("Create a folder first, under Folders above.")


def _create(store: RunStore) -> None:
    name = str(st.session_state.get(state.NEW_FOLDER) or "")
    if _act(store, lambda folders: folders.create(name), "Folder created."):
        st.session_state[state.NEW_FOLDER] = ""  # the typed name stays when it was refused


def _rename(store: RunStore, folder: FolderInfo) -> None:
    name = str(st.session_state.get(state.folder_key("name", folder.id)) or "")
    _act(store, lambda folders: folders.rename(folder.id, name), "Folder renamed.")


def _delete(store: RunStore, folder: FolderInfo) -> None:
    said = f"Folder “{folder.name}” deleted; what was in it is now in no folder."
    _act(store, lambda folders: folders.delete(folder.id), said)


def _file(store: RunStore, conversation_id: str) -> None:
    chosen = st.session_state.get(state.row_key("folder", conversation_id))
    folder_id = chosen or None
    _act(store, lambda folders: folders.file(conversation_id, folder_id), None)


def _act(store: RunStore, action: Callable[[FolderStore], object], done: str | None) -> bool:
    """Run a folder action in a callback; say what happened (or why not) on the next run."""
    folders = store.folders()
    if folders is None:
        state.tell_folder(False, "The database is not reachable; nothing was changed. Try again shortly.")
        return False
    try:
        if safely(lambda: action(folders) or True) is None:
            return False  # the database failed: the page says so
    except FolderNameRejected as exc:
        state.tell_folder(False, str(exc))
        return False
    except NotFound:
        state.tell_folder(
            False, "That folder or conversation is gone (deleted in another tab?). Reload the page."
        )
        return False
    if done:
        state.tell_folder(True, done)
    return True
