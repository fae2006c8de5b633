"""One person's data in one zip: every conversation, comparison and prompt set in its documented
export format (docs/export-format.md), their usage as CSV, and a manifest listing each file; and
the strict reader that imports such an archive into any instance.

    manifest.json                       {"format": "gptproto-archive", "version": 1, ...}
    conversations/<title>-<id>.json     a conversation export (import_json reads it)
    comparisons/<title>-<id>.json       a comparison export (import_comparison_json reads it)
    prompt-sets/<name>-<id>.json        a prompt set export (import_prompt_set reads it)
    presets.json                        the person's own presets (import_presets reads it)
    usage.csv                           the person's gateway requests (not imported: a record)

The reader takes nothing it was not told about: a file missing from the manifest, a manifest entry
without its file, an unsafe or unexpected path, or a file over its size limit refuses the whole
archive, as does any file its own importer refuses (with that file's name)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.branches import ConversationTree
from core.compare import CompareRound
from core.conversation import ChatParams
from core.formats.checks import ImportRejected, decode
from core.formats.comparison import ImportedComparison, export_comparison_json, import_comparison_json
from core.formats.conversation import Imported, export_json, import_json
from core.formats.json_reader import parse_json
from core.formats.preset import export_presets, import_presets
from core.formats.prompt_set import export_prompt_set, import_prompt_set
from core.images import ImageLimits
from core.presets import Preset, PresetRejected
from core.prompt_sets import PromptSet, PromptSetRejected, TextLimits

FORMAT = "gptproto-archive"
VERSION = 1
MANIFEST = "manifest.json"
USAGE = "usage.csv"
PRESETS = "presets.json"
FOLDERS = {"conversation": "conversations", "comparison": "comparisons", "prompt_set": "prompt-sets"}
SINGLE_FILES = {"presets": PRESETS, "usage": USAGE}
KINDS = (*FOLDERS, *SINGLE_FILES)
MAX_FILES = 20_000
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
_PATH = re.compile(r"^(conversations|comparisons|prompt-sets)/[a-z0-9-]{1,100}\.json$")


@dataclass(frozen=True)
class ChatExport:
    """A stored conversation, as the archive needs it."""

    id: str
    title: str
    params: ChatParams
    tree: ConversationTree


@dataclass(frozen=True)
class ComparisonExport:
    """A stored comparison, as the archive needs it."""

    id: str
    title: str
    params: ChatParams
    rounds: Sequence[CompareRound]


@dataclass
class ArchiveContents:
    """What an archive holds, each file read by its own strict importer."""

    conversations: list[Imported] = field(default_factory=list)
    comparisons: list[ImportedComparison] = field(default_factory=list)
    prompt_sets: list[PromptSet] = field(default_factory=list)
    presets: list[Preset] = field(default_factory=list)


def _stem(title: str, item_id: str) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "untitled"
    return f"{words}-{item_id.lower()[:12]}"


def pack_archive(
    chats: Sequence[ChatExport],
    comparisons: Sequence[ComparisonExport],
    prompt_sets: Sequence[PromptSet],
    usage_csv: str,
    exported_at: datetime,
    presets: Sequence[Preset] = (),
) -> bytes:
    """The zip described in the module's docstring (presets.json only when there are any)."""
    files: list[tuple[str, str, str]] = []  # (kind, path, text)
    for chat in chats:
        path = f"conversations/{_stem(chat.title, chat.id)}.json"
        files.append(("conversation", path, export_json(chat.title, chat.params, chat.tree)))
    for comparison in comparisons:
        text = export_comparison_json(comparison.title, comparison.params, comparison.rounds)
        files.append(("comparison", f"comparisons/{_stem(comparison.title, comparison.id)}.json", text))
    for number, prompt_set in enumerate(prompt_sets):
        stem = _stem(prompt_set.name, prompt_set.id or str(number))
        files.append(("prompt_set", f"prompt-sets/{stem}.json", export_prompt_set(prompt_set, "json")))
    if presets:
        files.append(("presets", PRESETS, export_presets(presets)))
    files.append(("usage", USAGE, usage_csv))
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at.isoformat(),
        "files": [{"path": path, "kind": kind} for kind, path, _text in files],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
        for _kind, path, text in files:
            archive.writestr(path, text)
    return out.getvalue()


def is_archive(raw: bytes) -> bool:
    """True when `raw` is a zip file (an archive to read strictly, not a JSON export)."""
    return raw[:4] == b"PK\x03\x04"


def read_archive(
    raw: bytes, image_limits: ImageLimits | None = None, text_limits: TextLimits | None = None
) -> ArchiveContents:
    """Every file of an archive, read strictly; ImportRejected names what is wrong and where."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise ImportRejected(
            "This is not a zip archive: import the .zip that “Download all my data” made."
        ) from None
    with archive:
        listed = _manifest(archive)
        present = {info.filename: info for info in archive.infolist()}
        _match(listed, present)
        contents = ArchiveContents()
        for path, kind in listed.items():
            if kind != "usage":
                _read_one(contents, path, kind, _bytes(archive, present[path]), image_limits, text_limits)
        return contents


def _manifest(archive: zipfile.ZipFile) -> dict[str, str]:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise ImportRejected(
            f"The archive has no {MANIFEST}: it was not made by “Download all my data”."
        ) from None
    data = parse_json(decode(_bytes(archive, info)))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRejected(f"{MANIFEST} does not say it is a {FORMAT}.")
    if data.get("version") != VERSION:
        raise ImportRejected(
            f"{MANIFEST} has version {data.get('version')!r}; this app reads version {VERSION}."
        )
    unknown = set(data) - {"format", "version", "exported_at", "files"}
    if unknown:
        raise ImportRejected(f"{MANIFEST} has fields this app does not know: {', '.join(sorted(unknown))}.")
    entries = data.get("files")
    if not isinstance(entries, list) or len(entries) > MAX_FILES:
        raise ImportRejected(f"{MANIFEST} must list at most {MAX_FILES} files under 'files'.")
    listed: dict[str, str] = {}
    for number, entry in enumerate(entries):
        path, kind = _entry(entry, number)
        if path in listed:
            raise ImportRejected(f"{MANIFEST} lists {path} twice.")
        listed[path] = kind
    return listed


def _entry(entry: Any, number: int) -> tuple[str, str]:
    where = f"{MANIFEST} files[{number}]"
    if not isinstance(entry, dict) or set(entry) != {"path", "kind"}:
        raise ImportRejected(f"{where} must have exactly a path and a kind.")
    path, kind = entry["path"], entry["kind"]
    if kind not in KINDS:
        raise ImportRejected(f"{where} has the kind {kind!r}; expected one of {', '.join(KINDS)}.")
    expected = SINGLE_FILES.get(kind)
    if not isinstance(path, str) or (path != expected if expected else not _in_folder(path, kind)):
        raise ImportRejected(f"{where} has the path {path!r}, which is not where a {kind} file goes.")
    return path, kind


def _in_folder(path: str, kind: str) -> bool:
    return _PATH.match(path) is not None and path.startswith(FOLDERS[kind] + "/")


def _match(listed: dict[str, str], present: dict[str, zipfile.ZipInfo]) -> None:
    extra = sorted(set(present) - set(listed) - {MANIFEST})
    if extra:
        raise ImportRejected(f"The archive holds files its manifest does not list: {', '.join(extra[:5])}.")
    missing = sorted(set(listed) - set(present))
    if missing:
        raise ImportRejected(f"The manifest lists files the archive does not hold: {', '.join(missing[:5])}.")
    total = sum(info.file_size for info in present.values())
    if total > MAX_TOTAL_BYTES:
        raise ImportRejected(f"The archive unpacks to more than {MAX_TOTAL_BYTES // 2**20} MB.")


def _bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_FILE_BYTES:
        raise ImportRejected(f"{info.filename} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    with archive.open(info) as handle:
        data = handle.read(MAX_FILE_BYTES + 1)  # the header's size may lie; the data cannot
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(f"{info.filename} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    return data


def _read_one(
    contents: ArchiveContents,
    path: str,
    kind: str,
    raw: bytes,
    image_limits: ImageLimits | None,
    text_limits: TextLimits | None,
) -> None:
    try:
        if kind == "conversation":
            contents.conversations.append(import_json(raw, image_limits))
        elif kind == "comparison":
            contents.comparisons.append(import_comparison_json(raw, image_limits))
        elif kind == "prompt_set":
            contents.prompt_sets.append(import_prompt_set(raw, path, image_limits, text_limits))
        else:
            instructions = (text_limits or TextLimits()).instructions_chars
            contents.presets.extend(import_presets(raw, path, instructions))
    except (ImportRejected, PromptSetRejected, PresetRejected) as exc:
        raise ImportRejected(f"{path}: {exc}") from None
