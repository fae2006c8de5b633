"""Everything one person stored, in one archive (core/archive.py) or deleted in one go.

Deleting it all removes their conversations and comparisons (with messages, images and any rows
that name them, as retention does), prompt sets, presets (published ones too), share links and
Compare votes. It keeps what is
not theirs alone to remove: the usage records the team's limits and costs are counted from (they
hold figures, never text), the limits an admin set, their sign-in record, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from core.archive import ChatExport, ComparisonExport, pack_archive
from core.storage.comparison_store import ComparisonStore
from core.storage.conversation_store import ConversationStore
from core.storage.engine import writer
from core.storage.preset_store import PresetStore
from core.storage.prompt_set_store import PromptSetStore
from core.storage.retention import related_tables, remove_conversations
from core.storage.schema import ConversationRow, PresetRow, PromptSetRow, ShareRow, VoteRow
from core.storage.usage_store import UsageStore
from core.usage_report import requests_csv

EVERYTHING = 10_000_000
SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Erased:
    """How many of each the person had, now deleted."""

    chats: int
    comparisons: int
    prompt_sets: int
    shares: int
    votes: int
    presets: int = 0


def archive_of(engine: Engine, user_id: str, exported_at: datetime) -> bytes:
    """The person's archive: every conversation, comparison and prompt set, and their usage."""
    chats_store, comparisons_store = ConversationStore(engine, user_id), ComparisonStore(engine, user_id)
    chats: list[ChatExport] = []
    comparisons: list[ComparisonExport] = []
    for info in chats_store.conversations(limit=EVERYTHING):
        if info.kind == "comparison":
            compared = comparisons_store.load(info.id)
            comparisons.append(ComparisonExport(info.id, info.title, compared.params, compared.rounds))
        else:
            stored = chats_store.load(info.id)
            chats.append(ChatExport(info.id, info.title, stored.params, stored.tree))
    sets = PromptSetStore(engine, user_id)
    prompt_sets = [sets.load(info.id) for info in sets.sets()]
    presets = PresetStore(engine, user_id)
    with Session(engine) as session:  # their own, published or not (not everyone's published ones)
        owned = session.scalars(
            select(PresetRow.id).where(PresetRow.user_id == user_id).order_by(PresetRow.name)
        )
        own_presets = [presets.load(preset_id) for preset_id in list(owned)]
    usage = requests_csv(UsageStore(engine).requests_since(SINCE_EVER, user_id=user_id))
    return pack_archive(chats, comparisons, prompt_sets, usage, exported_at, own_presets)


def erase_everything(engine: Engine, user_id: str) -> Erased:
    """Delete all the person's own data (see the module's docstring), in one transaction."""
    with Session(writer(engine)) as session, session.begin():
        rows = session.execute(
            select(ConversationRow.id, ConversationRow.kind).where(ConversationRow.user_id == user_id)
        ).all()
        ids, kinds = [row[0] for row in rows], [row[1] for row in rows]
        removed = remove_conversations(session, ids, kinds, related_tables(session.connection()), False)
        prompt_sets, shares, votes, presets = (
            _delete(session, table, table.user_id == user_id)
            for table in (PromptSetRow, ShareRow, VoteRow, PresetRow)
        )
    # Links to a conversation went with it; any left (its conversation was gone already) go now.
    return Erased(removed.chats, removed.comparisons, prompt_sets, removed.shares + shares, votes, presets)


def _delete(
    session: Session, table: type[PromptSetRow | ShareRow | VoteRow | PresetRow], where: object
) -> int:
    found = int(session.scalar(select(func.count()).select_from(table).where(where)) or 0)  # type: ignore[arg-type]
    session.execute(delete(table).where(where))  # type: ignore[arg-type]
    return found
