"""Writes that hold up when two sessions write at once or fail half-way: collision-free order,
one transaction per multi-step write, scoped deletes, clipped values, and data that migrates."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import Engine, text

from core.conversation import ChatParams, ImageAttachment, Message, Status, user_message
from core.gateway.errors import ErrorKind, GatewayError
from core.storage import ConversationStore, NotFound, migrate
from core.storage.engine import HEAD_REVISION, current_revision
from tests.storage.conftest import twin

PARAMS = ChatParams(model="o3")


@pytest.fixture
def store(engine) -> ConversationStore:
    migrate(engine)
    return ConversationStore(engine, "ana")


def answer_to(prompt: Message, text: str = "", **extra) -> Message:
    return Message(role="assistant", text=text, parent_id=prompt.id, model="o3", **extra)


def seqs(engine: Engine, conversation_id: str) -> list[int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT seq FROM messages WHERE conversation_id = :c ORDER BY seq"), {"c": conversation_id}
        )
        return [row[0] for row in rows]


def run_together(actions: list[Callable[[], object]]) -> list[BaseException]:
    """Run each action in its own thread, released at the same moment; the errors they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


# -- concurrent writers --------------------------------------------------------------------------


def test_two_writers_on_one_conversation_never_share_a_seq(engine, store):
    conversation = store.create(PARAMS)
    engines = [twin(engine), twin(engine)]
    writers = [ConversationStore(each, "ana") for each in engines]

    def write(writer: ConversationStore, who: str) -> Callable[[], None]:
        def go() -> None:
            for index in range(12):
                prompt = user_message(f"{who} {index}")
                writer.begin_turn(conversation, prompt, answer_to(prompt, status=Status.STREAMING), PARAMS)
                writer.save_message(conversation, user_message(f"{who} extra {index}"))

        return go

    assert run_together([write(writers[0], "one"), write(writers[1], "two")]) == []
    for each in engines:
        each.dispose()
    assert seqs(engine, conversation) == list(range(1, 2 * 12 * 3 + 1))
    assert len(store.load(conversation).tree.messages) == 72


def test_users_opened_at_the_same_moment_by_many_sessions_are_created_once(engine):
    migrate(engine)
    engines = [twin(engine) for _ in range(6)]
    for each in engines:
        each.connect().close()  # connected beforehand, so the inserts really race
    for round_ in range(4):
        user = f"newcomer-{round_}"
        errors = run_together([partial(ConversationStore, each, user) for each in engines])
        assert errors == []
        with engine.connect() as connection:
            count = connection.execute(text("SELECT COUNT(*) FROM users WHERE id = :u"), {"u": user}).scalar()
        assert count == 1
    for each in engines:
        each.dispose()


# -- multi-step writes are atomic ----------------------------------------------------------------


def test_begin_turn_replaces_an_answer_and_stores_prompt_and_answer_together(store):
    conversation = store.create(PARAMS)
    prompt = user_message("Question")
    first = answer_to(prompt, "first try", status=Status.FAILED)
    store.begin_turn(conversation, prompt, first, PARAMS)
    loaded = store.load(conversation)
    assert [m.text for m in loaded.tree.path()] == ["Question", "first try"]
    assert loaded.info.title == "Question"

    retry = answer_to(prompt, status=Status.STREAMING)
    store.begin_turn(conversation, prompt, retry, ChatParams(model="gpt-4o"), discard_ids=[first.id])
    loaded = store.load(conversation)
    assert [(m.id, m.status) for m in loaded.tree.path()] == [
        (prompt.id, Status.COMPLETE),
        (retry.id, Status.STREAMING),
    ]
    assert set(loaded.tree.messages) == {prompt.id, retry.id}
    assert loaded.params == ChatParams(model="gpt-4o")


def test_begin_turn_that_fails_part_way_changes_nothing(store):
    conversation = store.create(PARAMS)
    elsewhere = store.create(PARAMS)
    prompt = user_message("Q")
    kept = answer_to(prompt, "kept")
    store.begin_turn(conversation, prompt, kept, PARAMS)
    foreign = user_message("in another conversation")
    store.save_message(elsewhere, foreign)
    new_prompt = Message(role="user", text="Q2", parent_id=kept.id)
    # The answer's id is already another conversation's message: refused after the discard and the
    # prompt were written, so both must be undone.
    clash = Message(role="assistant", text="", id=foreign.id, parent_id=new_prompt.id)
    with pytest.raises(NotFound):
        store.begin_turn(conversation, new_prompt, clash, PARAMS, discard_ids=[kept.id])
    loaded = store.load(conversation)
    assert [m.text for m in loaded.tree.path()] == ["Q", "kept"]
    assert [m.text for m in store.load(elsewhere).tree.path()] == ["in another conversation"]


def test_delete_exchange_removes_a_pair_and_shows_another_branch_at_once(store):
    conversation = store.create(PARAMS)
    q1 = user_message("Q1")
    a1 = answer_to(q1, "A1")
    q2 = Message(role="user", text="Q2", parent_id=a1.id)
    a2 = answer_to(q2, "A2")
    for message in (q1, a1, q2, a2):
        store.save_message(conversation, message)
    tree = store.load(conversation).tree
    removed, moved = tree.remove_pair(q1.id)
    assert sorted(removed) == sorted([q1.id, a1.id]) and [m.id for m in moved] == [q2.id]
    store.delete_exchange(conversation, removed, moved, tree.leaf_id)
    loaded = store.load(conversation)
    assert [m.text for m in loaded.tree.path()] == ["Q2", "A2"]
    assert loaded.tree.leaf_id == a2.id and loaded.tree.messages[q2.id].parent_id is None


def test_deleting_message_ids_of_another_conversation_touches_neither_it_nor_its_images(engine, store):
    picture = ImageAttachment(name="p.png", mime="image/png", data=b"png", width=1, height=1)
    mine, other = store.create(PARAMS), store.create(PARAMS)
    with_image = user_message("look", images=[picture])
    store.save_message(other, with_image)
    store.delete_exchange(mine, [with_image.id], [], None)
    assert store.load(other).tree.path()[0].images == [picture]
    bo = ConversationStore(engine, "bo")
    bo.delete_exchange(bo.create(PARAMS), [with_image.id], [], None)  # another user naming ana's message
    assert store.load(other).tree.path()[0].images == [picture]


# -- values longer than their columns ------------------------------------------------------------


def test_overlong_names_and_reasons_are_clipped_not_dropped_with_the_turn(store):
    conversation = store.create(PARAMS)
    image = ImageAttachment(name="holiday-" + "x" * 400 + ".jpeg", mime="image/jpeg", data=b"j")
    prompt = user_message("hi", name="n" * 100, images=[image])
    reply = answer_to(
        prompt,
        "partial",
        status=Status.FAILED,
        finish_reason="a_reason_the_gateway_invented_" * 5,
        error=GatewayError(ErrorKind.SERVER, "Server error", "Retry.", provider_message="<html>" * 5000),
    )
    reply.model = "m" * 300
    store.begin_turn(conversation, prompt, reply, PARAMS)
    stored_prompt, stored_reply = store.load(conversation).tree.path()
    name = stored_prompt.images[0].name
    assert len(name) == 255 and name.startswith("holiday-xxx") and name.endswith("….jpeg")
    assert stored_prompt.name is not None and len(stored_prompt.name) == 64
    assert stored_reply.text == "partial"
    assert stored_reply.finish_reason is not None and len(stored_reply.finish_reason) == 32
    assert stored_reply.finish_reason.startswith("a_reason_the_gateway")
    assert stored_reply.model is not None and len(stored_reply.model) == 200
    assert stored_reply.error is not None and stored_reply.error.provider_message is not None
    assert len(stored_reply.error.provider_message) == 4000
    assert stored_reply.error.provider_message.startswith("<html><html>")


# -- migrations ----------------------------------------------------------------------------------


def upgrade_to(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from core.storage.engine import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_a_database_at_0001_with_shared_seqs_migrates_and_its_messages_become_searchable(engine):
    upgrade_to(engine, "0001")
    rows = [  # two writers once gave m2 and m3 the same seq; m4 came after both
        ("m1", 1, "2024-01-01 10:00:00", "first question"),
        ("m2", 2, "2024-01-01 10:00:01", "a reply about sourdough"),
        ("m3", 2, "2024-01-01 10:00:02", "another reply"),
        ("m4", 3, "2024-01-01 10:00:03", "last words"),
    ]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, created_at) VALUES ('ana', '2024-01-01 10:00:00')"))
        connection.execute(
            text(
                "INSERT INTO conversations"
                " (id, user_id, title, pinned, params, leaf_id, created_at, updated_at)"
                " VALUES ('c1', 'ana', 'Old chat', false, '{\"model\": \"o3\"}', 'm4',"
                " '2024-01-01 10:00:00', '2024-01-01 10:00:00')"
            )
        )
        for message_id, seq, when, body in rows:
            connection.execute(
                text(
                    "INSERT INTO messages (id, conversation_id, seq, role, text, status, usage_reported,"
                    " created_at, updated_at) VALUES (:id, 'c1', :seq, 'user', :text, 'complete', true,"
                    " :when, :when)"
                ),
                {"id": message_id, "seq": seq, "text": body, "when": when},
            )
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as connection:
        order = connection.execute(text("SELECT id, seq FROM messages ORDER BY seq")).all()
    assert [tuple(row) for row in order] == [("m1", 1), ("m2", 2), ("m3", 3), ("m4", 4)]
    assert [c.id for c in ConversationStore(engine, "ana").conversations("SOURDOUGH")] == ["c1"]
