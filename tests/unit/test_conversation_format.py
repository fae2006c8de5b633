"""Export to Markdown and JSON; import back strictly: every wrong or hostile file is refused
with a message saying what and where, and nothing else changes."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from core.branches import ConversationTree
from core.conversation import (
    ChatParams,
    ImageAttachment,
    Message,
    Status,
    Timing,
    Usage,
    image_link,
    user_message,
)
from core.formats.conversation import export_json, export_markdown, import_json
from core.formats.conversation_schema import SCHEMA_PATH, json_schema_text
from core.formats.strict import ImportRejected
from core.images import ImageLimits

PARAMS = ChatParams(
    model="gpt-4o", max_completion_tokens=256, instructions="Be kind.", instructions_role="system"
)

# An export written by the app before the format had pydantic models, kept literally: files
# people already saved must keep importing, and new exports must keep this exact shape.
TODAYS_EXPORT = """{
 "format": "gptproto-chat.conversation",
 "version": 1,
 "title": "Colours",
 "exported_at": "2026-11-25T10:00:00+00:00",
 "params": {
  "model": "gpt-4o",
  "max_completion_tokens": 64,
  "stream": true,
  "instructions": "Be brief.",
  "instructions_role": "developer",
  "user_name": "ana"
 },
 "leaf_id": "a1",
 "messages": [
  {
   "id": "p1",
   "parent_id": null,
   "role": "user",
   "text": "What is this?",
   "name": "ana",
   "model": null,
   "status": "complete",
   "finish_reason": null,
   "usage": null,
   "usage_reported": true,
   "timing": {
    "first_token_s": null,
    "total_s": null
   },
   "created_at": 1764000000.5,
   "images": [
    {
     "name": "red.png",
     "mime": "image/png",
     "width": 1,
     "height": 1,
     "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGM4wcUFAAJ6AN1nJ0J9AAAAAElFTkSuQmCC"
    },
    {
     "name": "cat.jpg",
     "mime": "",
     "width": 0,
     "height": 0,
     "url": "https://example.com/cat.jpg"
    }
   ]
  },
  {
   "id": "a1",
   "parent_id": "p1",
   "role": "assistant",
   "text": "A red square.",
   "name": null,
   "model": "gpt-4o",
   "status": "complete",
   "finish_reason": null,
   "usage": {
    "prompt_tokens": 10,
    "completion_tokens": 5,
    "total_tokens": 15,
    "reasoning_tokens": 0,
    "cached_tokens": 2
   },
   "usage_reported": true,
   "timing": {
    "first_token_s": 0.4,
    "total_s": 1.2
   },
   "created_at": 1764000001.0,
   "images": []
  },
  {
   "id": "a2",
   "parent_id": "p1",
   "role": "assistant",
   "text": "Red",
   "name": null,
   "model": "o3",
   "status": "cut_off",
   "finish_reason": "length",
   "usage": {
    "prompt_tokens": 10,
    "completion_tokens": 64,
    "total_tokens": 74,
    "reasoning_tokens": 60,
    "cached_tokens": 0
   },
   "usage_reported": true,
   "timing": {
    "first_token_s": 2.0,
    "total_s": 3.5
   },
   "created_at": 1764000002.0,
   "images": []
  }
 ]
}"""


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def sample_tree() -> ConversationTree:
    image = ImageAttachment(name="a.png", mime="image/png", data=png(), width=8, height=6)
    prompt = user_message("Describe", name="ana", images=[image])
    first = Message(role="assistant", text="Old answer", parent_id=prompt.id, model="gpt-4o")
    second = Message(
        role="assistant",
        text="A **dark** image.",
        parent_id=prompt.id,
        model="o3",
        status=Status.CUT_OFF,
        finish_reason="length",
        usage=Usage(10, 20, 30, 5, 1),
        timing=Timing(0.2, 1.0),
    )
    return ConversationTree.of([prompt, first, second])


def pixels(data: bytes) -> tuple[tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(data))
    return image.size, image.convert("RGB").tobytes()


def test_json_round_trip_keeps_every_branch_and_the_path_with_new_ids():
    tree = sample_tree()
    imported = import_json(export_json("Demo", PARAMS, tree).encode())
    assert imported.title == "Demo" and imported.params == PARAMS
    path = imported.tree.path()
    assert [m.text for m in path] == ["Describe", "A **dark** image."]
    assert path[1].usage == Usage(10, 20, 30, 5, 1) and path[1].status == Status.CUT_OFF
    assert path[1].timing == Timing(0.2, 1.0) and path[1].finish_reason == "length"
    assert pixels(path[0].images[0].data) == ((8, 6), bytes([1, 2, 3]) * 48)
    assert len(imported.tree.siblings(path[1])) == 2
    assert not set(imported.tree.messages) & set(tree.messages)


def test_an_export_in_todays_format_still_imports():
    imported = import_json(TODAYS_EXPORT.encode())
    assert imported.title == "Colours"
    assert imported.params == ChatParams(
        model="gpt-4o",
        max_completion_tokens=64,
        stream=True,
        instructions="Be brief.",
        instructions_role="developer",
        user_name="ana",
    )
    prompt, answer = imported.tree.path()
    assert (prompt.text, prompt.name, prompt.created_at) == ("What is this?", "ana", 1764000000.5)
    assert pixels(prompt.images[0].data) == ((1, 1), bytes([200, 10, 10]))
    assert prompt.images[1] == image_link("https://example.com/cat.jpg")
    assert (answer.text, answer.model, answer.usage) == ("A red square.", "gpt-4o", Usage(10, 5, 15, 0, 2))
    (other,) = [m for m in imported.tree.siblings(answer) if m.id != answer.id]
    assert (other.text, other.status, other.finish_reason) == ("Red", Status.CUT_OFF, "length")
    assert other.usage == Usage(10, 64, 74, 60, 0) and other.timing == Timing(2.0, 3.5)


def test_a_new_export_has_exactly_todays_shape():
    red = base64.b64decode(json.loads(TODAYS_EXPORT)["messages"][0]["images"][0]["data"])
    image = ImageAttachment(name="red.png", mime="image/png", data=red, width=1, height=1)
    prompt = Message(
        role="user",
        text="What is this?",
        id="p1",
        name="ana",
        images=[image, image_link("https://example.com/cat.jpg")],
        created_at=1764000000.5,
    )
    answer = Message(
        role="assistant",
        text="A red square.",
        id="a1",
        parent_id="p1",
        model="gpt-4o",
        usage=Usage(10, 5, 15, 0, 2),
        timing=Timing(0.4, 1.2),
        created_at=1764000001.0,
    )
    cut_off = Message(
        role="assistant",
        text="Red",
        id="a2",
        parent_id="p1",
        model="o3",
        status=Status.CUT_OFF,
        finish_reason="length",
        usage=Usage(10, 64, 74, 60, 0),
        timing=Timing(2.0, 3.5),
        created_at=1764000002.0,
    )
    params = ChatParams(model="gpt-4o", max_completion_tokens=64, instructions="Be brief.", user_name="ana")
    exported = export_json("Colours", params, ConversationTree.of([prompt, answer, cut_off], "a1"))
    stamp = re.compile(r'"exported_at": "[^"]+"')
    assert stamp.sub("T", exported) == stamp.sub("T", TODAYS_EXPORT)


def test_markdown_export_has_the_path_params_and_usage():
    text = export_markdown("Demo", PARAMS, sample_tree().path())
    assert text.startswith("# Demo\n")
    assert "`gpt-4o`" in text and "> Be kind." in text
    assert "## You (ana)" in text and "A **dark** image." in text and "Old answer" not in text
    assert "20 completion" in text and "*[image: a.png]*" in text


def test_imported_images_lose_their_metadata_like_uploads():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS position
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (90, 120, 200)).save(buffer, format="JPEG", exif=exif)
    photo = buffer.getvalue()
    assert b"SpyCam" in photo and Image.open(io.BytesIO(photo)).getexif()  # the test photo has EXIF
    data = json.loads(TODAYS_EXPORT)
    data["messages"][0]["images"] = [
        {
            "name": "me.jpg",
            "mime": "image/jpeg",
            "width": 16,
            "height": 12,
            "data": base64.b64encode(photo).decode(),
        }
    ]
    stored = import_json(json.dumps(data).encode()).tree.path()[0].images[0]
    assert b"SpyCam" not in stored.data and b"Exif" not in stored.data
    assert not Image.open(io.BytesIO(stored.data)).getexif()
    assert (stored.mime, stored.width, stored.height) == ("image/jpeg", 16, 12)


def test_imported_images_obey_the_upload_limits():
    raw = export_json("Demo", PARAMS, sample_tree()).encode()
    small = import_json(raw, ImageLimits(long_side=4, short_side=0)).tree.path()[0].images[0]
    assert (small.width, small.height) == (4, 3)
    with pytest.raises(
        ImportRejected, match=r"^messages\[0\]\.images\[0\]: a\.png is .*the limit is 10 bytes"
    ):
        import_json(raw, ImageLimits(max_bytes=10))


def _export(**changes) -> bytes:
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    for key, value in changes.items():
        data[key] = value
    return json.dumps(data).encode()


def _with_message(**changes) -> bytes:
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    data["messages"][0].update(changes)
    return json.dumps(data).encode()


def _with_params(**changes) -> bytes:
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    data["params"].update(changes)
    return json.dumps(data).encode()


def _raw_text(old: str, new: str) -> bytes:
    text = export_json("Demo", PARAMS, sample_tree())
    assert old in text
    return text.replace(old, new, 1).encode()


def _image(**fields) -> list[dict]:
    return [{"name": "x.png", "mime": "image/png", **fields}]


BAD_FILES = [
    (b"\xff\xfe not json", r"^line 1, byte 1: the file is not UTF-8 text"),
    (b'{"a":\n "\xed\xa0\x80"}', r"^line 2, byte 3: the file is not UTF-8 text .*encoded lone surrogate"),
    (b'{"format": 1,}', r"^line 1, column 14: the file is not valid JSON \(Expecting property name"),
    (b'{"hello": 1}', "not a GPTProto Chat conversation export"),
    (_export(version=99), "version 99 is not supported"),
    (_export(version=True), "version True is not supported"),
    (_export(messages=[]), r"^messages: must not be empty\.$"),
    (_export(title="t" * 201), r"^title: is longer than 200 characters\.$"),
    (_with_params(model=""), r"^params\.model: must be a model id: 1 to 100 letters"),
    (_with_params(model="gpt 4o"), r"^params\.model: must be a model id"),
    (_with_params(user_name="ana maria"), r"^params\.user_name: must be 1 to 64 letters, digits, '_' or '-'"),
    (_with_params(stream="yes"), r"^params\.stream: must be true or false\.$"),
    (_with_params(max_completion_tokens=0), r"^params\.max_completion_tokens: must be at least 1\.$"),
    (_with_message(role="system"), r"^messages\[0\]\.role: must be 'user' or 'assistant'\.$"),
    (_with_message(status="done"), r"^messages\[0\]\.status: must be 'streaming', 'complete'"),
    (_with_message(parent_id="nowhere"), r"^messages\[0\]\.parent_id: names no message before it"),
    (_with_message(text=123), r"^messages\[0\]\.text: must be text\.$"),
    (_with_message(text="x" * 1_000_001), r"^messages\[0\]\.text: is longer than 1,000,000 characters\.$"),
    (_with_message(name="ana b"), r"^messages\[0\]\.name: must be 1 to 64 letters.*the API's name pattern"),
    (_with_message(name="a" * 65), r"^messages\[0\]\.name: must be 1 to 64 letters"),
    (_with_message(name="ana😀"), r"^messages\[0\]\.name: must be 1 to 64 letters"),
    (_with_message(model="gpt-4o; rm"), r"^messages\[0\]\.model: must be a model id"),
    (_with_message(created_at="yesterday"), r"^messages\[0\]\.created_at: must be a number\.$"),
    (_with_message(usage={"prompt_tokens": -1}), r"^messages\[0\]\.usage\.prompt_tokens: must be at least 0"),
    (
        _with_message(usage={"prompt_tokens": True}),
        r"^messages\[0\]\.usage\.prompt_tokens: must be a whole number",
    ),
    (_with_message(images=_image(data="!!")), r"^messages\[0\]\.images\[0\]\.data: is not valid base64\.$"),
    (
        _with_message(images=_image(data=base64.b64encode(b"no").decode())),
        r"^messages\[0\]\.images\[0\]: x\.png is not an image",
    ),
    (
        _with_message(images=_image(url="javascript:alert(1)")),
        r"^messages\[0\]\.images\[0\]\.url: must be an https://",
    ),
    (
        _with_message(images=_image(url="https://x.example/a.png)![p](http://127.0.0.1:9/p)")),
        r"^messages\[0\]\.images\[0\]: url must be a plain https link to a host, without spaces, quotes, "
        r"brackets, parentheses",
    ),
    (_with_message(images=_image(data="AA==", url="https://a.example/x.png")), r"exactly one of data"),
    (
        _with_message(images=_image(name="n" * 256, url="https://a.example/x.png")),
        r"\.name: is longer than 255",
    ),
    (
        _with_message(images=_image(url="https://a.example/x.png") * 17),
        r"^messages\[0\]\.images: has more than 16 items",
    ),
    (_with_message(role="system", text=5), r"^messages\[0\]\.role: .* \(1 more problem in the file\)$"),
    (
        _raw_text('"text": "Describe"', '"text": "\\ud800"'),
        r"^messages\[0\]\.text: contains a lone surrogate \(\\ud800\)",
    ),
    (
        _raw_text('"text": "Old answer"', '"text": "ok \\udfff"'),
        r"^messages\[1\]\.text: contains a lone surrogate \(\\udfff\) at character 4",
    ),
    (_raw_text('"title": "Demo"', '"title": "\\udc00"'), r"^title: contains a lone surrogate"),
    (
        _raw_text('"text": "Describe"', '"te\\ud800xt": "x"'),
        r"^a key in messages\[0\]: contains a lone surrogate",
    ),
    (
        _raw_text('"text": "Describe"', '"text": "a\\u0000b"'),
        r"^messages\[0\]\.text: contains a NUL character",
    ),
    (
        _raw_text('"created_at": ', '"created_at": NaN, "x": '),
        r"^line \d+, column 18: NaN is not a number JSON allows",
    ),
    (
        _raw_text('"first_token_s": 0.2', '"first_token_s": Infinity'),
        r"^line \d+, column \d+: Infinity is not a number",
    ),
    (
        _raw_text('"first_token_s": 0.2', '"first_token_s": -Infinity'),
        r"-Infinity is not a number JSON allows",
    ),
    (
        _raw_text('"first_token_s": 0.2', '"first_token_s": 1e999'),
        r"^1e999 is not a finite number \(too large, infinite or not a number\)",
    ),
    (_raw_text('"prompt_tokens": 10', '"prompt_tokens": 1' + "0" * 30), r"has more than 18 digits"),
    (
        _raw_text('"title": "Demo"', '"title": ' + "[" * 100_000 + "]" * 100_000),
        r"^line 4, column 18: the JSON nests deeper than 8 levels",
    ),
]


@pytest.mark.parametrize(("raw", "message"), BAD_FILES)
def test_bad_files_are_refused_saying_what_and_where(raw, message):
    with pytest.raises(ImportRejected, match=message):
        import_json(raw)


def test_repeated_ids_are_refused():
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    data["messages"][2]["id"] = data["messages"][1]["id"]
    with pytest.raises(ImportRejected, match=r"^messages\[2\]\.id: repeats the id of an earlier message"):
        import_json(json.dumps(data).encode())


def test_brackets_and_nan_inside_strings_are_just_text():
    raw = _raw_text('"text": "Describe"', '"text": "[[[[[[[[[[{{{{{{{{{ NaN Infinity \\" ]"')
    assert import_json(raw).tree.path()[0].text == '[[[[[[[[[[{{{{{{{{{ NaN Infinity " ]'


def test_a_file_over_50_mb_is_refused_before_it_is_read():
    with pytest.raises(ImportRejected, match=r"^The file is 50\.0 MB; the limit is 50\.0 MB"):
        import_json(b" " * (50 * 1024 * 1024 + 1))


def test_a_byte_order_mark_is_accepted():
    assert import_json(b"\xef\xbb\xbf" + TODAYS_EXPORT.encode()).title == "Colours"


def test_streaming_status_is_imported_as_incomplete():
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    data["messages"][2]["status"] = "streaming"
    assert import_json(json.dumps(data).encode()).tree.path()[-1].status == Status.INCOMPLETE


def test_the_committed_json_schema_is_what_the_models_generate():
    committed = Path(SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == json_schema_text(), (
        "regenerate it: .venv/bin/python -m core.formats.conversation_schema"
    )
    schema = json.loads(committed)
    message = schema["$defs"]["ExportMessage"]["properties"]
    assert message["name"]["anyOf"][0]["pattern"] == "^[a-zA-Z0-9_-]{1,64}$"
    assert message["text"]["maxLength"] == 1_000_000
