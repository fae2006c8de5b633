"""Export to Markdown and JSON; import back strictly, refusing wrong or hostile files."""

from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from core.branches import ConversationTree
from core.conversation import ChatParams, ImageAttachment, Message, Status, Timing, Usage, user_message
from core.transfer import ImportRejected, export_json, export_markdown, import_json

PARAMS = ChatParams(
    model="gpt-4o", max_completion_tokens=256, instructions="Be kind.", instructions_role="system"
)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (1, 2, 3)).save(buffer, format="PNG")
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


def test_json_round_trip_keeps_every_branch_and_the_path_with_new_ids():
    tree = sample_tree()
    imported = import_json(export_json("Demo", PARAMS, tree).encode())
    assert imported.title == "Demo" and imported.params == PARAMS
    path = imported.tree.path()
    assert [m.text for m in path] == ["Describe", "A **dark** image."]
    assert path[1].usage == Usage(10, 20, 30, 5, 1) and path[1].status == Status.CUT_OFF
    assert path[0].images[0].data == tree.path()[0].images[0].data
    assert len(imported.tree.siblings(path[1])) == 2
    assert not set(imported.tree.messages) & set(tree.messages)


def test_markdown_export_has_the_path_params_and_usage():
    text = export_markdown("Demo", PARAMS, sample_tree().path())
    assert text.startswith("# Demo\n")
    assert "`gpt-4o`" in text and "> Be kind." in text
    assert "## You (ana)" in text and "A **dark** image." in text and "Old answer" not in text
    assert "20 completion" in text and "*[image: a.png]*" in text


def _export(**changes) -> bytes:
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    for key, value in changes.items():
        data[key] = value
    return json.dumps(data).encode()


def _with_message(**changes) -> bytes:
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    data["messages"][0].update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe not json", "not JSON"),
        (b'{"hello": 1}', "not a GPTProto Chat conversation export"),
        (_export(version=99), "version 99"),
        (_export(messages=[]), "no messages"),
        (_export(params={"model": ""}), "does not name its model"),
        (_with_message(role="system"), "unknown role"),
        (_with_message(parent_id="nowhere"), "not before it"),
        (_with_message(text=123), "must be text"),
        (_with_message(images=[{"name": "x.png", "mime": "image/png", "data": "!!"}]), "not valid base64"),
        (
            _with_message(
                images=[{"name": "x.png", "mime": "image/png", "data": base64.b64encode(b"no").decode()}]
            ),
            "x.png is not an image",
        ),
        (_with_message(images=[{"name": "x", "url": "javascript:alert(1)"}]), "not an https URL"),
        (_with_message(usage={"prompt_tokens": -1}), "whole token counts"),
    ],
)
def test_bad_files_are_refused_with_a_reason(raw, message):
    with pytest.raises(ImportRejected, match=message):
        import_json(raw)


def test_streaming_status_is_imported_as_incomplete():
    data = json.loads(export_json("Demo", PARAMS, sample_tree()))
    data["messages"][2]["status"] = "streaming"
    assert import_json(json.dumps(data).encode()).tree.path()[-1].status == Status.INCOMPLETE
