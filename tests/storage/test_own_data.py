"""Each person's own data on SQLite and PostgreSQL: their archive imports into a fresh instance
with everything in it, and deleting all of it removes theirs and nobody else's."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.archive import read_archive
from core.compare import Vote
from core.compare_flow import start_round
from core.conversation import ChatParams, ImageAttachment, Message, Status, user_message
from core.presets import Preset
from core.prompt_sets import PromptItem, PromptSet
from core.quotas import Limits
from core.storage import (
    ComparisonStore,
    ConversationStore,
    PromptSetStore,
    UsageStore,
    database_url,
    make_engine,
    migrate,
)
from core.storage.own_data import Erased, archive_of, erase_everything
from core.storage.preset_store import PresetStore
from core.storage.schema import GatewayRequestRow, VoteRow
from core.storage.share_store import ShareStore

PARAMS = ChatParams(model="o3", instructions="Be brief.")
PNG = ImageAttachment(name="dot.png", mime="image/png", data=b"\x89PNG\r\n\x1a\n-bytes", width=2, height=1)
EXPORTED = datetime(2026, 6, 1, tzinfo=UTC)


def _fill(engine, user: str) -> dict[str, str]:
    chats = ConversationStore(engine, user)
    chat = chats.create(PARAMS)
    prompt = user_message(f"What colour is the sky, {user}?")
    chats.save_message(chat, prompt)
    chats.save_message(
        chat, Message(role="assistant", text="Blue.", model="o3", parent_id=prompt.id, status=Status.COMPLETE)
    )
    round_ = start_round([], ["o3", "gpt-4o"], f"Name a river, {user}")
    for column, answer in zip(round_.columns, ("Nile", "Rhine"), strict=True):
        column.answer.text, column.answer.status = answer, Status.COMPLETE
    comparison = ComparisonStore(engine, user).add_comparison("Rivers", PARAMS, [round_])
    prompt_set = PromptSetStore(engine, user).save(
        PromptSet("Demo", (PromptItem("Describe this", "Be vivid", ()), PromptItem("And this", "", ())))
    )
    PresetStore(engine, user).save(
        Preset("Reviewer", "o3", instructions="Find bugs first.", starters=("Review",))
    )
    ShareStore(engine, user).create("chat", "Sky", "{}", conversation_id=chat)
    chats.record_leaderboard_vote("Name a river", Vote(("o3", "gpt-4o"), "o3"))
    usage = UsageStore(engine)
    [row_id] = usage.reserve(user, ["o3"], page="chat", defaults=Limits())  # type: ignore[misc]
    usage.finish(row_id, status="complete")
    return {"chat": chat, "comparison": comparison, "prompt_set": prompt_set}


@pytest.fixture
def filled(engine):
    migrate(engine)
    return _fill(engine, "ana"), _fill(engine, "bo")


def test_the_archive_imports_into_a_fresh_instance_with_everything_in_it(engine, filled, tmp_path):
    raw = archive_of(engine, "ana", EXPORTED)
    names = sorted(zipfile.ZipFile(io.BytesIO(raw)).namelist())
    assert [name.split("/")[0] for name in names] == [
        "comparisons",
        "conversations",
        "manifest.json",
        "presets.json",
        "prompt-sets",
        "usage.csv",
    ]
    usage_csv = zipfile.ZipFile(io.BytesIO(raw)).read("usage.csv").decode()
    assert len(usage_csv.strip().splitlines()) == 2  # the header and ana's one request, not bo's

    fresh = make_engine(database_url(str(tmp_path / "fresh"), None))
    migrate(fresh)
    contents = read_archive(raw)
    chats, comparisons, sets = (
        ConversationStore(fresh, "ana"),
        ComparisonStore(fresh, "ana"),
        PromptSetStore(fresh, "ana"),
    )
    for chat in contents.conversations:
        chats.add_conversation(chat.title, chat.params, chat.tree)
    for comparison in contents.comparisons:
        comparisons.add_comparison(comparison.title, comparison.params, comparison.rounds)
    for prompt_set in contents.prompt_sets:
        sets.save(prompt_set)

    listed = chats.conversations()
    assert sorted((info.kind, info.title) for info in listed) == [
        ("chat", "What colour is the sky, ana?"),
        ("comparison", "Rivers"),
    ]
    reloaded = chats.load(next(info.id for info in listed if info.kind == "chat"))
    assert [m.text for m in reloaded.tree.path()] == ["What colour is the sky, ana?", "Blue."]
    assert reloaded.params.instructions == "Be brief."
    compared = comparisons.load(next(info.id for info in listed if info.kind == "comparison"))
    assert [c.answer.text for c in compared.rounds[0].columns] == ["Nile", "Rhine"]
    presets = PresetStore(fresh, "ana")
    presets.add_all(contents.presets)
    [preset] = [presets.load(info.id) for info in presets.own()]
    assert (preset.name, preset.instructions, preset.starters) == (
        "Reviewer",
        "Find bugs first.",
        ("Review",),
    )
    [stored_set] = sets.sets()
    assert [item.text for item in sets.load(stored_set.id).items] == ["Describe this", "And this"]
    fresh.dispose()


def _count(engine, row, user: str) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(row).where(row.user_id == user)) or 0)


def test_deleting_everything_leaves_other_people_and_the_usage_records_alone(engine, filled):
    _ana, bo = filled
    erased = erase_everything(engine, "ana")
    assert erased == Erased(chats=1, comparisons=1, prompt_sets=1, shares=1, votes=1, presets=1)
    assert PresetStore(engine, "ana").own() == []
    assert len(PresetStore(engine, "bo").own()) == 1
    assert ConversationStore(engine, "ana").conversations() == []
    assert PromptSetStore(engine, "ana").sets() == []
    assert ShareStore(engine, "ana").shares(include_revoked=True) == []
    assert _count(engine, VoteRow, "ana") == 0
    assert _count(engine, GatewayRequestRow, "ana") == 1  # the team's limits count from it

    assert {info.id for info in ConversationStore(engine, "bo").conversations()} == {
        bo["chat"],
        bo["comparison"],
    }
    assert [info.id for info in PromptSetStore(engine, "bo").sets()] == [bo["prompt_set"]]
    assert len(ShareStore(engine, "bo").shares()) == 1
    assert _count(engine, VoteRow, "bo") == 1
    assert erase_everything(engine, "ana") == Erased(0, 0, 0, 0, 0, 0)
