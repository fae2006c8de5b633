"""Comparisons of one user: conversations of kind 'comparison', their prompts and answers stored as
messages and their rounds in compare_rounds. Every query is scoped to the user, and a chat's id or
someone else's comparison reads exactly like a missing one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.compare import CompareRound, Vote
from core.compare_flow import RoundRecord, rebuild_rounds
from core.conversation import ChatParams, Message, Status
from core.feedback import Feedback
from core.safe_text import one_line
from core.sampling import Sampling, SamplingError, sampling_from_dict
from core.storage.codec import (
    clip,
    fill_row,
    image_rows,
    message_from_row,
    now,
    params_from_dict,
    params_to_dict,
)
from core.storage.conversation_store import ConversationInfo, NotFound, UserScoped, _info, title_from
from core.storage.filing import folder_named, put_all_feedback
from core.storage.schema import (
    CompareRoundRow,
    ConversationRow,
    ImageRow,
    MessageRow,
    VoteRow,
    max_length,
)

COMPARISON = "comparison"
NEW_COMPARISON = "New comparison"


@dataclass
class StoredComparison:
    """A comparison as stored: its library line, the options it was last sent with, its rounds."""

    info: ConversationInfo
    params: ChatParams
    rounds: list[CompareRound]


class ComparisonStore(UserScoped):
    """The comparisons of `user_id`, and nobody else's. The user's row must exist already (the
    user's ConversationStore creates it when it opens)."""

    kind = COMPARISON  # a chat's id reads as missing here

    # -- the library --------------------------------------------------------------------------

    def comparisons(self, limit: int = 50) -> list[ConversationInfo]:
        """The user's comparisons, pinned first, then most recently active."""
        query = (
            select(ConversationRow)
            .where(ConversationRow.user_id == self.user_id, ConversationRow.kind == COMPARISON)
            .order_by(ConversationRow.pinned.desc(), ConversationRow.updated_at.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [_info(row) for row in session.scalars(query)]

    # -- writing rounds as they happen -------------------------------------------------------------

    def begin_round(self, comparison_id: str | None, round_: CompareRound, params: ChatParams) -> str:
        """One transaction before anything is sent: the comparison (created when `comparison_id` is
        None), the round's prompt, every model's empty answer and the round itself. Returns the
        comparison's id. `params` are the shared options, kept as the comparison's latest."""
        with self._writing() as session, session.begin():
            if comparison_id is None:
                conversation = self._new_row(NEW_COMPARISON, params)
                session.add(conversation)
                session.flush()
            else:
                conversation = self._own(session, comparison_id, lock=True)
            self._add_round(session, conversation, round_, params)
            conversation.updated_at = now()
            return conversation.id

    def save_answer(self, comparison_id: str, answer: Message, params: ChatParams | None = None) -> None:
        """A checkpoint or the final state of one answer of this comparison."""
        with self._writing() as session, session.begin():
            conversation = self._own(session, comparison_id)
            row = session.get(MessageRow, answer.id)
            if row is None or row.conversation_id != conversation.id or row.role != "assistant":
                raise NotFound(answer.id)
            fill_row(row, answer, params)
            conversation.updated_at = now()

    def set_column_parameters(self, comparison_id: str, round_: CompareRound) -> None:
        """The round's columns' own parameters as they now are (a column sent again without one
        the gateway refused)."""
        with self._writing() as session, session.begin():
            self._own(session, comparison_id, lock=True)
            round_row = session.scalar(
                select(CompareRoundRow).where(
                    CompareRoundRow.conversation_id == comparison_id,
                    CompareRoundRow.prompt_id == round_.prompt_message.id,
                )
            )
            if round_row is None:
                raise NotFound(round_.prompt_message.id)
            round_row.params = {**(round_row.params or {}), "columns": _own_dicts(round_)}

    def record_round_verdict(self, comparison_id: str, prompt_id: str, vote: Vote, prompt: str) -> None:
        """The verdict on the round of `prompt_id`, and the vote for the leaderboard, together."""
        with self._writing() as session, session.begin():
            self._own(session, comparison_id, lock=True)
            round_row = session.scalar(
                select(CompareRoundRow).where(
                    CompareRoundRow.conversation_id == comparison_id,
                    CompareRoundRow.prompt_id == prompt_id,
                )
            )
            if round_row is None:
                raise NotFound(prompt_id)
            winner = clip(vote.winner, max_length(VoteRow.winner)) or ""
            round_row.winner = winner
            session.add(
                VoteRow(
                    user_id=self.user_id,
                    prompt=prompt,
                    models=list(vote.models),
                    winner=winner,
                    created_at=now(),
                )
            )

    def add_comparison(
        self,
        title: str,
        params: ChatParams,
        rounds: Sequence[CompareRound],
        *,
        feedback: Mapping[str, Feedback] | None = None,
        folder: str | None = None,
    ) -> str:
        """A whole comparison (an import) in one transaction: all of it or nothing, with the
        person's `feedback` on its answers and filed in their folder named `folder`. Its votes are
        kept on its rounds but do not count again on the leaderboard."""
        with self._writing() as session, session.begin():
            conversation = self._new_row(title, params)
            if folder is not None:
                conversation.folder_id = folder_named(session, self.user_id, folder)
            session.add(conversation)
            session.flush()
            for round_ in rounds:
                self._add_round(session, conversation, round_, round_.params or params)
            session.flush()
            put_all_feedback(session, self.user_id, feedback or {})
            return conversation.id

    def _new_row(self, title: str, params: ChatParams) -> ConversationRow:
        return ConversationRow(
            id=uuid4().hex,
            user_id=self.user_id,
            title=one_line(title)[:200] or NEW_COMPARISON,
            pinned=False,
            params={**params_to_dict(params), "models": []},
            leaf_id=None,
            created_at=now(),
            updated_at=now(),
            kind=COMPARISON,
        )

    def _add_round(
        self, session: Session, conversation: ConversationRow, round_: CompareRound, params: ChatParams
    ) -> None:
        prompt = round_.prompt_message
        answers = [column.answer for column in round_.columns]
        last_seq = session.scalar(
            select(func.max(MessageRow.seq)).where(MessageRow.conversation_id == conversation.id)
        )
        position = session.scalar(
            select(func.max(CompareRoundRow.position)).where(
                CompareRoundRow.conversation_id == conversation.id
            )
        )
        for seq, message in enumerate([prompt, *answers], start=(last_seq or 0) + 1):
            if session.get(MessageRow, message.id) is not None:
                raise NotFound(message.id)  # ids are fresh for every round; a clash is not ours
            row = MessageRow(id=message.id, conversation_id=conversation.id, seq=seq, created_at=now())
            fill_row(row, message, (round_.params or params) if message.is_answer else None)
            session.add(row)
        session.flush()  # the rows before their images: no ORM relationship orders them
        session.add_all(image_rows(prompt))
        session.add(
            CompareRoundRow(
                conversation_id=conversation.id,
                position=(position or 0) + 1,
                prompt_id=prompt.id,
                models=round_.models,
                answer_ids=[answer.id for answer in answers],
                blind_order=list(round_.order),
                blind=round_.blind,
                fresh=round_.fresh,
                winner=round_.winner,
                # Each column's own parameters beside the round's (params_from_dict ignores the key).
                params={
                    **params_to_dict(round_.params or params),
                    "columns": _own_dicts(round_),
                },
                created_at=now(),
            )
        )
        # The library's subtitle reads the models from here (params_from_dict ignores the key).
        known = list((conversation.params or {}).get("models", []))
        known += [model for model in round_.models if model not in known]
        conversation.params = {**params_to_dict(params), "models": known}
        conversation.leaf_id = prompt.id
        if conversation.title == NEW_COMPARISON:
            conversation.title = title_from(prompt.text or "Images")

    # -- reading ----------------------------------------------------------------------------------

    def load(self, comparison_id: str) -> StoredComparison:
        """The comparison with every round rebuilt as the page had it (answers with their figures,
        prompts with their images, blind orders and verdicts)."""
        with self._session() as session:
            conversation = self._own(session, comparison_id)
            rows = session.scalars(
                select(MessageRow).where(MessageRow.conversation_id == comparison_id)
            ).all()
            images: dict[str, list[ImageRow]] = defaultdict(list)
            for image in session.scalars(
                select(ImageRow).join(MessageRow).where(MessageRow.conversation_id == comparison_id)
            ):
                images[image.message_id].append(image)
            messages = {row.id: message_from_row(row, images[row.id]) for row in rows}
            round_rows = session.scalars(
                select(CompareRoundRow)
                .where(CompareRoundRow.conversation_id == comparison_id)
                .order_by(CompareRoundRow.position)
            ).all()
            records = [_record(row, messages) for row in round_rows]
            return StoredComparison(
                _info(conversation),
                params_from_dict(conversation.params),
                rebuild_rounds([record for record in records if record is not None]),
            )


def _record(row: CompareRoundRow, messages: dict[str, Message]) -> RoundRecord | None:
    prompt = messages.get(row.prompt_id)
    if prompt is None:
        return None
    answers = []
    for model, answer_id in zip(row.models, row.answer_ids, strict=True):
        # An answer whose row is gone shows as an interrupted, empty column rather than a crash.
        answer = messages.get(answer_id) or Message(
            role="assistant", id=answer_id, model=model, status=Status.INCOMPLETE, parent_id=prompt.id
        )
        answers.append(answer)
    return RoundRecord(
        prompt=prompt,
        models=list(row.models),
        answers=answers,
        order=list(row.blind_order),
        winner=row.winner,
        blind=row.blind,
        fresh=row.fresh,
        params=params_from_dict(row.params) if row.params else None,
        own=_own_parameters(row.params, len(row.models)),
    )


def _own_dicts(round_: CompareRound) -> list[dict[str, Any]]:
    return [column.own.as_dict() for column in round_.columns]


def _own_parameters(params: dict[str, Any] | None, count: int) -> list[Sampling]:
    # Rounds stored before columns had parameters of their own have none.
    stored = (params or {}).get("columns")
    if not isinstance(stored, list) or len(stored) != count:
        return []
    try:
        return [sampling_from_dict(item) for item in stored]
    except SamplingError:
        return []
