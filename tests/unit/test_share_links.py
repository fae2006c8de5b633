"""Share tokens, links and snapshots of chats and comparisons, decided without a browser or a database."""

from __future__ import annotations

import io
import json
import random
import re

import pytest
from PIL import Image

from core.branches import ConversationTree
from core.compare_flow import start_round
from core.conversation import ChatParams, Message, Status, Usage, user_message
from core.formats.strict import ImportRejected
from core.images import ImageLimits, prepare_image
from core.share_links import (
    MAX_TITLE_CHARS,
    NothingToShare,
    app_base_url,
    chat_snapshot,
    check_snapshot,
    comparison_snapshot,
    looks_like_token,
    new_token,
    read_chat_snapshot,
    read_comparison_snapshot,
    share_link,
    share_title,
)

PARAMS = ChatParams(model="gpt-4o", instructions="Be brief.")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def answer(text: str, parent: Message, model: str = "gpt-4o") -> Message:
    return Message(
        role="assistant",
        text=text,
        parent_id=parent.id,
        model=model,
        usage=Usage(prompt_tokens=12, completion_tokens=7, total_tokens=19),
    )


def branched_tree() -> ConversationTree:
    """First prompt and answer; then the second prompt was edited, so two branches follow it."""
    first = user_message("Which colour is this?", images=[prepare_image("red.png", png(), ImageLimits())])
    first_answer = answer("Red.", first)
    abandoned = user_message("Abandoned question")
    abandoned.parent_id = first_answer.id
    abandoned_answer = answer("Abandoned answer", abandoned)
    edited = user_message("Edited question")
    edited.parent_id = first_answer.id
    edited_answer = answer("Edited answer", edited, model="o3")
    messages = [first, first_answer, abandoned, abandoned_answer, edited, edited_answer]
    return ConversationTree.of(messages, edited_answer.id)


def test_tokens_are_43_url_safe_characters_and_never_repeat():
    tokens = [new_token() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)
    assert len(set(tokens)) == len(tokens)
    assert all(looks_like_token(token) for token in tokens)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "a" * 42,
        "a" * 44,
        "a" * 42 + "=",
        "a" * 42 + "/",
        "a" * 42 + "é",
        "' OR 1=1 --" + "a" * 32,
        "a" * 43 + "\n",
    ],
)
def test_anything_but_a_token_shape_is_not_a_token(text):
    assert not looks_like_token(text)


@pytest.mark.parametrize(
    ("page_url", "base_path", "expected"),
    [
        ("http://10.1.2.3:8501/compare", "", "http://10.1.2.3:8501"),
        ("https://chat.example.com/history", "/team-chat/", "https://chat.example.com/team-chat"),
        ("https://chat.example.com", "team-chat", "https://chat.example.com/team-chat"),
        (None, "", "http://localhost:8501"),
        ("", "", "http://localhost:8501"),
        ("not a url", "", "http://localhost:8501"),
    ],
)
def test_the_app_url_is_the_origin_the_browser_used_plus_the_base_path(page_url, base_path, expected):
    assert app_base_url(page_url, base_path, "http://localhost:8501") == expected


def test_a_share_link_names_the_shared_page_and_the_token():
    assert share_link("https://chat.example.com/team/", "T" * 43) == (
        "https://chat.example.com/team/shared?s=" + "T" * 43
    )


def test_titles_fit_the_table_on_one_line():
    assert share_title("  Two\nlines  ") == "Two lines"
    assert share_title("") == "Shared conversation"
    long = share_title("word " * 100)
    assert len(long) == MAX_TITLE_CHARS
    assert long.endswith("…")


def test_a_chat_snapshot_holds_the_branch_on_show_and_reads_back_through_the_import():
    snapshot = chat_snapshot("Colours", PARAMS, branched_tree())
    data = json.loads(snapshot)
    assert data["format"] == "gptproto-chat.conversation"
    assert [m["text"] for m in data["messages"]] == [
        "Which colour is this?",
        "Red.",
        "Edited question",
        "Edited answer",
    ]
    assert "Abandoned" not in snapshot

    read = read_chat_snapshot(snapshot)
    path = read.tree.path()
    assert read.title == "Colours"
    assert read.params == PARAMS
    assert [(m.role, m.text, m.model) for m in path] == [
        ("user", "Which colour is this?", None),
        ("assistant", "Red.", "gpt-4o"),
        ("user", "Edited question", None),
        ("assistant", "Edited answer", "o3"),
    ]
    assert path[1].usage == Usage(prompt_tokens=12, completion_tokens=7, total_tokens=19)
    image = path[0].images[0]
    assert (image.name, image.mime, image.width, image.height) == ("red.png", "image/png", 8, 6)


def test_every_read_gives_new_ids_so_each_copy_is_new_rows():
    tree = branched_tree()
    snapshot = chat_snapshot("Colours", PARAMS, tree)
    first, second = read_chat_snapshot(snapshot), read_chat_snapshot(snapshot)
    assert not set(first.tree.messages) & set(second.tree.messages)
    assert not set(first.tree.messages) & set(tree.messages)


def test_an_empty_chat_has_nothing_to_share():
    with pytest.raises(NothingToShare, match="send a message first"):
        chat_snapshot("New chat", PARAMS, ConversationTree())


def test_a_snapshot_its_viewers_could_not_open_is_refused_before_a_link_exists():
    prompt = user_message("hello")
    stored_long_ago = Message(role="assistant", text="hi", parent_id=prompt.id, model="a model with spaces")
    snapshot = chat_snapshot("Old chat", PARAMS, ConversationTree.of([prompt, stored_long_ago]))
    with pytest.raises(NothingToShare, match=r"cannot be shared as it is: messages\[1\]\.model"):
        check_snapshot("chat", snapshot)


def test_a_hostile_snapshot_is_refused_by_the_strict_import():
    with pytest.raises(ImportRejected, match="nests deeper"):
        read_chat_snapshot("[" * 10_000 + "]" * 10_000)
    with pytest.raises(ImportRejected, match="not a GPTProto Chat conversation export"):
        read_chat_snapshot('{"format": "something else"}')


def two_rounds():
    first = start_round([], ["o3", "gpt-4o"], "Name a prime", random.Random(5), blind=True)
    for column, text in zip(first.columns, ["Seven.", "Eleven."], strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
        column.answer.usage = Usage(prompt_tokens=9, completion_tokens=3, total_tokens=12)
    first.winner = "gpt-4o"
    second = start_round([first], ["o3", "gpt-4o"], "Another?", blind=True)
    for column, text in zip(second.columns, ["Thirteen.", "Seventeen."], strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
    return [first, second]


def test_a_comparison_snapshot_keeps_rounds_answers_votes_and_who_is_still_blind():
    rounds = two_rounds()
    read = read_comparison_snapshot(comparison_snapshot("Primes", PARAMS, rounds))
    assert read.title == "Primes"
    assert [r.prompt for r in read.rounds] == ["Name a prime", "Another?"]
    assert [[c.answer.text for c in r.columns] for r in read.rounds] == [
        ["Seven.", "Eleven."],
        ["Thirteen.", "Seventeen."],
    ]
    assert [r.winner for r in read.rounds] == ["gpt-4o", None]  # the second round is still blind
    assert [r.blind for r in read.rounds] == [True, True]
    assert read.rounds[0].order == rounds[0].order
    assert read.rounds[0].columns[0].answer.usage == Usage(
        prompt_tokens=9, completion_tokens=3, total_tokens=12
    )
    ids = {c.answer.id for r in rounds for c in r.columns}
    assert not ids & {c.answer.id for r in read.rounds for c in r.columns}


def test_a_comparison_without_rounds_has_nothing_to_share():
    with pytest.raises(NothingToShare, match="send a prompt first"):
        comparison_snapshot("New comparison", PARAMS, [])


def test_a_chat_export_is_not_a_comparison_snapshot():
    chat = chat_snapshot("Colours", PARAMS, branched_tree())
    with pytest.raises(NothingToShare, match="This comparison cannot be shared as it is"):
        check_snapshot("comparison", chat)
    check_snapshot("chat", chat)
