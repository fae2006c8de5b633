"""Conversations stored on SQLite and PostgreSQL: CRUD, order, isolation, statuses, branches."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from core.branches import ConversationTree
from core.conversation import ChatParams, ImageAttachment, Message, Status, Timing, Usage, user_message
from core.gateway.errors import ErrorKind, GatewayError, classify_status
from core.sampling import Sampling
from core.storage import ConversationStore, NotFound, migrate, title_from
from core.storage.engine import HEAD_REVISION, MIGRATIONS, current_revision

PARAMS = ChatParams(model="o3", max_completion_tokens=500, stream=False, instructions="Be brief.")


@pytest.fixture
def store(engine) -> ConversationStore:
    migrate(engine)
    return ConversationStore(engine, "ana")


def answer(parent: Message, text: str, status=Status.COMPLETE, **extra) -> Message:
    return Message(role="assistant", text=text, parent_id=parent.id, model="o3", status=status, **extra)


def test_migrations_create_every_table_from_empty_and_are_idempotent(engine):
    assert current_revision(engine) is None
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    tables = set(inspect(engine).get_table_names())
    assert {"users", "conversations", "messages", "message_images", "compare_votes"} <= tables


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.storage.schema import Base, include_name

    migrate(engine)
    with engine.connect() as connection:
        # The search index is the dialect's own structure that no model describes (see schema.py).
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_existing_database_keeps_its_data_when_migrated_again(engine):
    migrate(engine)
    ConversationStore(engine, "ana").create(PARAMS, title="Kept")
    migrate(engine)
    assert [c.title for c in ConversationStore(engine, "ana").conversations()] == ["Kept"]


def test_a_conversation_round_trips_with_everything_about_each_message(store):
    conversation = store.create(PARAMS)
    image = ImageAttachment(name="a.png", mime="image/png", data=b"\x89PNG-bytes", width=4, height=3)
    prompt = user_message("What is in this picture, in detail please?", name="ana", images=[image])
    store.save_message(conversation, prompt, PARAMS)
    reply = answer(
        prompt,
        "A cat.",
        finish_reason="stop",
        usage=Usage(11, 42, 53, 30, 2),
        timing=Timing(0.25, 1.5),
    )
    store.save_message(conversation, reply, PARAMS)
    loaded = store.load(conversation)
    assert loaded.params == PARAMS
    assert loaded.info.title == "What is in this picture, in detail please?"
    first, second = loaded.tree.path()
    assert (first.text, first.name, first.images) == (prompt.text, "ana", [image])
    assert (second.text, second.usage, second.timing, second.finish_reason) == (
        "A cat.",
        Usage(11, 42, 53, 30, 2),
        Timing(0.25, 1.5),
        "stop",
    )


def test_the_conversation_keeps_the_parameters_of_its_latest_turn_and_a_refusal_names_one(store):
    with_temperature = ChatParams(model="o3", sampling=Sampling(reasoning_effort="high", temperature=0.2))
    conversation = store.create(with_temperature)
    assert store.load(conversation).params == with_temperature
    prompt = user_message("Go")
    refused = answer(prompt, "", status=Status.FAILED)
    refused.error = classify_status(400, "Unsupported parameter: 'temperature'", code="unsupported_parameter")
    store.begin_turn(conversation, prompt, refused, with_temperature, [])
    assert store.load(conversation).tree.path()[-1].error == refused.error  # the parameter it names too
    without = ChatParams(model="o3", sampling=Sampling(reasoning_effort="high"))
    store.begin_turn(conversation, prompt, answer(prompt, "", status=Status.STREAMING), without, [refused.id])
    loaded = store.load(conversation)
    assert loaded.params == without and len(loaded.tree.messages) == 2


def test_partial_answers_keep_their_status_and_error(store):
    conversation = store.create(PARAMS)
    prompt = user_message("Go")
    store.save_message(conversation, prompt)
    partial = answer(prompt, "half", status=Status.STREAMING)
    store.save_message(conversation, partial)
    assert store.load(conversation).tree.path()[-1].status == Status.STREAMING
    for status in (Status.STOPPED, Status.INCOMPLETE, Status.CUT_OFF):
        partial.status = status
        store.save_message(conversation, partial)
        assert store.load(conversation).tree.path()[-1].status == status
    partial.status = Status.FAILED
    partial.error = GatewayError(ErrorKind.STALL, "The stream stalled", "Retry.", request_id="req_1")
    store.save_message(conversation, partial)
    loaded = store.load(conversation).tree.path()[-1]
    assert loaded.text == "half" and loaded.error == partial.error


def test_library_order_rename_pin_delete(store):
    first = store.create(PARAMS)
    second = store.create(PARAMS, title="second")
    third = store.create(PARAMS, title="third")
    store.save_message(first, user_message("bump"))
    assert [c.title for c in store.conversations()][:1] == ["bump"]
    store.set_pinned(third, True)
    store.rename(second, "  renamed   chat ")
    assert [c.title for c in store.conversations()] == ["third", "bump", "renamed chat"]
    store.delete(third)
    assert [c.id for c in store.conversations()] == [first, second]
    with pytest.raises(NotFound):
        store.load(third)
    with pytest.raises(ValueError, match="empty"):
        store.rename(first, "   ")


def test_search_covers_titles_and_message_text_and_escapes_wildcards(store):
    a = store.create(PARAMS, title="Quarterly plan")
    b = store.create(PARAMS)
    store.save_message(b, user_message("How do I bake bread?"))
    c = store.create(PARAMS, title="100% done")
    assert [x.id for x in store.conversations("quarterly")] == [a]
    assert [x.id for x in store.conversations("BAKE")] == [b]
    assert [x.id for x in store.conversations("%")] == [c]
    assert store.conversations("nothing like this") == []


def test_users_cannot_see_or_touch_each_others_conversations(engine):
    migrate(engine)
    ana, bo = ConversationStore(engine, "ana"), ConversationStore(engine, "bo")
    secret = ana.create(PARAMS, title="ana's secret")
    ana.save_message(secret, user_message("secret text"))
    assert bo.conversations() == [] and bo.conversations("secret") == []
    for action in (
        lambda: bo.load(secret),
        lambda: bo.rename(secret, "x"),
        lambda: bo.delete(secret),
        lambda: bo.set_pinned(secret, True),
        lambda: bo.save_message(secret, user_message("intrude")),
    ):
        with pytest.raises(NotFound):
            action()
    assert [m.text for m in ana.load(secret).tree.path()] == ["secret text"]


def test_regenerated_answers_and_edited_prompts_are_kept_as_branches(store):
    conversation = store.create(PARAMS)
    prompt = user_message("Q1")
    store.save_message(conversation, prompt)
    first = answer(prompt, "A1")
    store.save_message(conversation, first)
    second = answer(prompt, "A1 again")
    store.save_message(conversation, second)
    tree = store.load(conversation).tree
    assert [m.text for m in tree.path()] == ["Q1", "A1 again"]
    assert [m.text for m in tree.siblings(tree.path()[-1])] == ["A1", "A1 again"]
    edited = user_message("Q1 edited")
    store.save_message(conversation, edited)
    store.save_message(conversation, answer(edited, "A2"))
    tree = store.load(conversation).tree
    assert [m.text for m in tree.path()] == ["Q1 edited", "A2"]
    tree.show(prompt.id)
    store.show_leaf(conversation, tree.leaf_id)
    assert [m.text for m in store.load(conversation).tree.path()] == ["Q1", "A1 again"]


def test_title_from_first_message():
    assert title_from("  hello\n world ") == "hello world"
    assert title_from("") == "New chat"
    long = title_from("word " * 40)
    assert long.endswith("…") and len(long) <= 61


def test_tree_without_a_leaf_shows_the_newest_path():
    q = user_message("Q")
    a, b = answer(q, "a"), answer(q, "b")
    assert [m.text for m in ConversationTree.of([q, a, b]).path()] == ["Q", "b"]


def test_head_revision_constant_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
