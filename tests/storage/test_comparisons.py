"""Comparisons and prompt sets stored on SQLite and PostgreSQL: a round written as it streams reads
back exactly, votes land on their round and on the leaderboard, the library knows comparisons
from chats, and nobody reads another person's comparison or prompt set."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.compare import TIE, Vote
from core.compare_flow import restart_column, start_round
from core.conversation import ChatParams, ImageAttachment, Status, Timing, Usage
from core.prompt_sets import PromptItem, PromptSet
from core.sampling import Sampling
from core.storage import ComparisonStore, ConversationStore, NotFound, PromptSetStore, migrate
from core.storage.schema import CompareRoundRow, MessageRow

PARAMS = ChatParams(model="o3", max_completion_tokens=300, instructions="Be brief.")
PNG = ImageAttachment(name="dot.png", mime="image/png", data=b"\x89PNG-bytes", width=2, height=1)


@pytest.fixture
def stores(engine) -> tuple[ConversationStore, ComparisonStore]:
    migrate(engine)
    return ConversationStore(engine, "ana"), ComparisonStore(engine, "ana")


def finish(round_, texts: dict[str, str]) -> None:
    """What the stream driver leaves on each answer, with figures the test chose."""
    for number, column in enumerate(round_.columns, start=1):
        answer = column.answer
        answer.text = texts[column.model]
        answer.status = Status.COMPLETE
        answer.finish_reason = "stop"
        answer.usage = Usage(10 * number, 5 * number, 15 * number, number, 0)
        answer.timing = Timing(0.25 * number, 1.5 * number)


def test_a_comparison_round_trips_round_by_round(stores):
    chats, comparisons = stores
    first = start_round([], ["o3", "gpt-4o"], "Name a prime", random.Random(3), images=[PNG], blind=True)
    comparison = comparisons.begin_round(None, first, PARAMS)
    # Before any answer arrives the prompt and both empty answers are stored.
    pending = comparisons.load(comparison)
    assert pending.info.title == "Name a prime"
    assert [c.answer.status for c in pending.rounds[0].columns] == [Status.STREAMING] * 2
    finish(first, {"o3": "Seven.", "gpt-4o": "Eleven."})
    for column in first.columns:
        comparisons.save_answer(comparison, column.answer)
    comparisons.record_round_verdict(
        comparison, first.prompt_message.id, Vote(("o3", "gpt-4o"), "gpt-4o"), "Name a prime"
    )
    first.winner = "gpt-4o"

    second = start_round([first], ["o3", "gpt-4o"], "And another?", blind=True)
    comparisons.begin_round(comparison, second, PARAMS)
    finish(second, {"o3": "Thirteen.", "gpt-4o": "Seventeen."})
    second.columns[1].answer.status = Status.STOPPED
    for column in second.columns:
        comparisons.save_answer(comparison, column.answer)

    loaded = comparisons.load(comparison).rounds
    assert [r.prompt for r in loaded] == ["Name a prime", "And another?"]
    assert loaded[0].order == first.order and loaded[1].order == first.order  # a follow-up keeps labels
    assert [r.winner for r in loaded] == ["gpt-4o", None]
    assert all(r.blind for r in loaded)
    assert loaded[0].prompt_message.images[0].data == PNG.data
    gpt = loaded[1].columns[1]
    assert (gpt.model, gpt.answer.text, gpt.answer.status) == ("gpt-4o", "Seventeen.", Status.STOPPED)
    assert gpt.answer.usage == Usage(20, 10, 30, 2, 0) and gpt.answer.timing == Timing(0.5, 3.0)
    # Each model's history is its own earlier exchange and then the new prompt.
    assert [m.text for m in gpt.history] == ["Name a prime", "Eleven.", "And another?"]
    assert [m.text for m in loaded[1].columns[0].history] == ["Name a prime", "Seven.", "And another?"]
    # The vote counts on the leaderboard too.
    assert chats.team_votes() == [Vote(("o3", "gpt-4o"), "gpt-4o")]


def test_columns_keep_their_own_parameters_and_a_column_sent_again_is_stored_in_place(stores):
    _, comparisons = stores
    params = ChatParams(model="o3", sampling=Sampling(seed=5))
    own = [Sampling(reasoning_effort="high", temperature=0.2), Sampling(reasoning_effort="low")]
    round_ = start_round([], ["o3", "o3"], "Is 91 prime?", random.Random(1), params=params, own=own)
    comparison = comparisons.begin_round(None, round_, params)
    (loaded,) = comparisons.load(comparison).rounds
    assert [c.own for c in loaded.columns] == own
    assert loaded.names == ["o3 (effort high · temperature 0.2)", "o3 (effort low)"]
    assert comparisons.load(comparison).params.sampling == Sampling(seed=5)

    # The first column was refused for temperature and sent again without it.
    restart_column(round_, 0, own[0].without("temperature"))
    comparisons.set_column_parameters(comparison, round_)
    round_.columns[0].answer.text, round_.columns[0].answer.status = "No: 7 × 13.", Status.COMPLETE
    comparisons.save_answer(comparison, round_.columns[0].answer)
    (again,) = comparisons.load(comparison).rounds
    assert again.names == ["o3 (effort high)", "o3 (effort low)"]
    assert again.columns[0].answer.text == "No: 7 × 13."


def test_library_lists_comparisons_beside_chats_with_their_models(stores):
    chats, comparisons = stores
    chat = chats.create(PARAMS, title="A chat")
    one = comparisons.begin_round(None, start_round([], ["o3", "gpt-4o"], "First"), PARAMS)
    comparisons.begin_round(one, start_round([], ["o3", "o4-mini"], "Then"), PARAMS)
    listed = {info.id for info in chats.conversations()}
    assert listed == {chat, one}
    assert [info.id for info in comparisons.comparisons()] == [one]
    kinds = {info.id: (info.kind, info.models) for info in chats.conversations()}
    assert kinds == {chat: ("chat", ()), one: ("comparison", ("o3", "gpt-4o", "o4-mini"))}
    # Search finds a comparison by its prompts' text; rename, pin and delete are the library's.
    assert [info.id for info in chats.conversations("Then")] == [one]
    chats.rename(one, "Demo day")
    chats.set_pinned(one, True)
    assert comparisons.load(one).info.title == "Demo day" and comparisons.comparisons()[0].pinned
    chats.delete(one)
    with pytest.raises(NotFound):
        comparisons.load(one)
    with Session(chats.engine) as session:
        assert session.scalar(select(func.count()).select_from(CompareRoundRow)) == 0
        assert session.scalar(select(func.count()).select_from(MessageRow)) == 0


def test_nobody_reads_or_writes_another_persons_comparison(engine):
    migrate(engine)
    ConversationStore(engine, "ana")
    ConversationStore(engine, "bob")
    ana, bob = ComparisonStore(engine, "ana"), ComparisonStore(engine, "bob")
    round_ = start_round([], ["o3", "gpt-4o"], "Mine")
    comparison = ana.begin_round(None, round_, PARAMS)
    for attempt in (
        lambda: bob.load(comparison),
        lambda: bob.begin_round(comparison, start_round([], ["o3", "gpt-4o"], "x"), PARAMS),
        lambda: bob.save_answer(comparison, round_.columns[0].answer),
        lambda: bob.record_round_verdict(comparison, round_.prompt_message.id, Vote(("o3",), TIE), "x"),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert bob.comparisons() == [] and ConversationStore(engine, "bob").conversations() == []
    # A chat's id is not a comparison either.
    chat = ConversationStore(engine, "ana").create(PARAMS)
    with pytest.raises(NotFound):
        ana.load(chat)


def test_an_import_stores_every_round_at_once(stores):
    _, comparisons = stores
    first = start_round([], ["o3", "gpt-4o"], "One")
    finish(first, {"o3": "a", "gpt-4o": "b"})
    first.winner = TIE
    second = start_round([first], ["o3", "gpt-4o"], "Two", fresh=True)
    finish(second, {"o3": "c", "gpt-4o": "d"})
    comparison = comparisons.add_comparison("Imported", PARAMS, [first, second])
    loaded = comparisons.load(comparison)
    assert loaded.info.title == "Imported" and loaded.params == PARAMS
    assert [[c.answer.text for c in r.columns] for r in loaded.rounds] == [["a", "b"], ["c", "d"]]
    assert loaded.rounds[0].winner == TIE and loaded.rounds[1].fresh
    assert [m.text for m in loaded.rounds[1].columns[0].history] == ["Two"]  # a fresh round starts anew


def test_prompt_sets_are_stored_per_user(engine):
    migrate(engine)
    ConversationStore(engine, "ana")
    ConversationStore(engine, "bob")
    ana, bob = PromptSetStore(engine, "ana"), PromptSetStore(engine, "bob")
    items = (PromptItem("Describe this", "Be terse.", (PNG,)), PromptItem("Now a haiku"))
    set_id = ana.save(PromptSet("Demo", items))
    loaded = ana.load(set_id)
    assert loaded.name == "Demo" and [i.text for i in loaded.items] == ["Describe this", "Now a haiku"]
    assert loaded.items[0].instructions == "Be terse." and loaded.items[0].images[0].data == PNG.data
    ana.save(PromptSet("Demo v2", items[1:], set_id))
    assert [(s.name, s.prompts) for s in ana.sets()] == [("Demo v2", 1)]
    assert bob.sets() == []
    with pytest.raises(NotFound):
        bob.load(set_id)
    with pytest.raises(NotFound):
        bob.save(PromptSet("Hijack", items, set_id))
    with pytest.raises(NotFound):
        bob.delete(set_id)
    ana.delete(set_id)
    assert ana.sets() == []


def test_a_database_at_0003_gains_comparisons_and_its_chats_stay_chats(engine):
    from sqlalchemy import inspect, text

    from core.storage.engine import HEAD_REVISION, current_revision
    from tests.storage.test_usage import _chat_at_0002, downgrade_to
    from tests.storage.test_writes import upgrade_to

    upgrade_to(engine, "0003")
    _chat_at_0002(engine, "ana", "Old chat")  # 0003 changed nothing about conversations
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert {"compare_rounds", "prompt_sets", "shares"} <= set(inspect(engine).get_table_names())
    listed = ConversationStore(engine, "ana").conversations()
    assert [(c.title, c.kind, c.models) for c in listed] == [("Old chat", "chat", ())]

    downgrade_to(engine, "0003")
    tables = set(inspect(engine).get_table_names())
    assert not {"compare_rounds", "prompt_sets", "shares"} & tables
    with engine.connect() as connection:
        assert list(connection.execute(text("SELECT title FROM conversations")).scalars()) == ["Old chat"]
