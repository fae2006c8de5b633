"""The archive of one person's data: it reads back what was packed, and the strict reader refuses
a whole archive for any file it was not told about, a manifest it does not know, a path outside
its folders, or a file its own importer refuses (naming that file)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from core.archive import ChatExport, pack_archive, read_archive
from core.branches import ConversationTree
from core.conversation import ChatParams, Message, user_message
from core.formats.checks import ImportRejected
from core.prompt_sets import PromptItem, PromptSet

AT = datetime(2026, 6, 1, tzinfo=UTC)


def _chat() -> ChatExport:
    prompt = user_message("Name a prime")
    answer = Message(role="assistant", text="Seven.", model="o3", parent_id=prompt.id)
    return ChatExport(
        "c" * 32, "Primes", ChatParams(model="o3"), ConversationTree.of([prompt, answer], answer.id)
    )


def _packed() -> bytes:
    prompt_set = PromptSet("Demo", (PromptItem("One", "", ()),), "p" * 32)
    return pack_archive([_chat()], [], [prompt_set], "id,model\n", AT)


def _rezip(raw: bytes, change) -> bytes:
    """The archive with its files (a dict of name -> bytes) changed by `change`."""
    files = {
        info.filename: zipfile.ZipFile(io.BytesIO(raw)).read(info)
        for info in zipfile.ZipFile(io.BytesIO(raw)).infolist()
    }
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _manifest(files: dict[str, bytes]) -> dict:
    return json.loads(files["manifest.json"])


def test_what_is_packed_reads_back():
    contents = read_archive(_packed())
    [chat] = contents.conversations
    assert chat.title == "Primes" and [m.text for m in chat.tree.path()] == ["Name a prime", "Seven."]
    assert [s.name for s in contents.prompt_sets] == ["Demo"] and contents.comparisons == []
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(_packed())).read("manifest.json"))
    assert manifest["format"] == "gptproto-archive" and manifest["version"] == 1
    assert [f["kind"] for f in manifest["files"]] == ["conversation", "prompt_set", "usage"]


def _with_extra(files):
    files["conversations/extra.json"] = b"{}"


def _without_chat(files):
    del files[next(name for name in files if name.startswith("conversations/"))]


def _traversal(files):
    manifest = _manifest(files)
    manifest["files"].append({"path": "../../etc/passwd.json", "kind": "conversation"})
    files["manifest.json"] = json.dumps(manifest).encode()
    files["../../etc/passwd.json"] = b"{}"


def _version(files):
    manifest = _manifest(files)
    manifest["version"] = 2
    files["manifest.json"] = json.dumps(manifest).encode()


def _broken_chat(files):
    name = next(name for name in files if name.startswith("conversations/"))
    files[name] = b'{"format": "gptproto-chat.conversation", "version": 1}'


def _no_manifest(files):
    del files["manifest.json"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (_with_extra, "holds files its manifest does not list: conversations/extra.json"),
        (_without_chat, "lists files the archive does not hold"),
        (_traversal, "which is not where a conversation file goes"),
        (_version, "has version 2; this app reads version 1"),
        (_broken_chat, "conversations/primes-cccccccccccc.json: "),
        (_no_manifest, "has no manifest.json"),
    ],
)
def test_anything_unexpected_refuses_the_whole_archive(change, said):
    with pytest.raises(ImportRejected) as refused:
        read_archive(_rezip(_packed(), change))
    assert said in str(refused.value)


def test_a_file_that_is_not_a_zip_is_refused_with_what_to_import():
    with pytest.raises(ImportRejected, match="not a zip archive"):
        read_archive(b"PK\x03\x04 nothing more")
