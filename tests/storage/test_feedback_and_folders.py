"""Feedback on answers and folders, stored on SQLite and PostgreSQL: a verdict is changed,
removed, read back per conversation and goes with its answer; folders are per person, their names
checked, and deleting one keeps what was filed in it; nobody reads or touches another's."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.branches import ConversationTree
from core.compare_flow import start_round
from core.conversation import ChatParams, Message, Status, user_message
from core.feedback import Feedback
from core.folders import FolderNameRejected
from core.storage import (
    NO_FOLDER,
    ComparisonStore,
    ConversationStore,
    FeedbackStore,
    FolderStore,
    NotFound,
    feedback_since,
    migrate,
)
from core.storage.schema import FeedbackRow

PARAMS = ChatParams(model="o3")


@pytest.fixture
def ana(engine) -> tuple[ConversationStore, FeedbackStore, FolderStore]:
    migrate(engine)
    chats = ConversationStore(engine, "ana")
    return chats, FeedbackStore(engine, "ana"), FolderStore(engine, "ana")


def exchange(
    chats: ConversationStore, prompt_text: str, answer_text: str, model: str = "o3"
) -> tuple[str, Message]:
    """A stored chat with one prompt and its answer."""
    conversation = chats.create(PARAMS)
    prompt = user_message(prompt_text)
    reply = Message(
        role="assistant", text=answer_text, parent_id=prompt.id, model=model, status=Status.COMPLETE
    )
    chats.save_message(conversation, prompt, PARAMS)
    chats.save_message(conversation, reply, PARAMS)
    return conversation, reply


def feedback_rows(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(FeedbackRow)) or 0


def test_a_verdict_is_stored_changed_and_removed(ana):
    chats, feedback, _ = ana
    conversation, reply = exchange(chats, "Name a prime", "Seven.")
    feedback.rate(reply.id, Feedback("down", "Too short."))
    assert feedback.of_conversation(conversation) == {reply.id: Feedback("down", "Too short.")}
    feedback.rate(reply.id, Feedback("up", "Too short."))
    assert feedback.of_conversation(conversation) == {reply.id: Feedback("up", "Too short.")}
    feedback.rate(reply.id, None)
    assert feedback.of_conversation(conversation) == {}


def test_a_prompt_cannot_be_rated(ana):
    chats, feedback, _ = ana
    conversation = chats.create(PARAMS)
    prompt = user_message("Hello")
    chats.save_message(conversation, prompt, PARAMS)
    with pytest.raises(NotFound):
        feedback.rate(prompt.id, Feedback("up"))


def test_nobody_reads_or_rates_another_persons_answers(ana, engine):
    chats, feedback, _ = ana
    conversation, reply = exchange(chats, "Name a prime", "Seven.")
    feedback.rate(reply.id, Feedback("up"))
    ConversationStore(engine, "bo")  # bo exists
    bo = FeedbackStore(engine, "bo")
    with pytest.raises(NotFound):
        bo.rate(reply.id, Feedback("down", "mine now"))
    with pytest.raises(NotFound):
        bo.of_conversation(conversation)
    assert feedback.of_conversation(conversation) == {reply.id: Feedback("up")}


def test_deleting_a_conversation_removes_its_feedback(ana, engine):
    chats, feedback, _ = ana
    conversation, reply = exchange(chats, "Name a prime", "Seven.")
    kept, other = exchange(chats, "Another", "Eleven.")
    feedback.rate(reply.id, Feedback("down", "No."))
    feedback.rate(other.id, Feedback("up"))
    chats.delete(conversation)
    assert feedback_rows(engine) == 1
    assert feedback.of_conversation(kept) == {other.id: Feedback("up")}


def test_the_team_report_reads_everyone_with_the_answers_model(ana, engine):
    chats, feedback, _ = ana
    _, first = exchange(chats, "One", "a", model="o3")
    _, second = exchange(chats, "Two", "b", model="gpt-4o")
    feedback.rate(first.id, Feedback("up", "Clear."))
    feedback.rate(second.id, Feedback("down"))
    bo_chats = ConversationStore(engine, "bo")
    _, third = exchange(bo_chats, "Three", "c", model="o3")
    FeedbackStore(engine, "bo").rate(third.id, Feedback("down", "Wrong."))
    since = datetime.now(UTC) - timedelta(hours=1)
    records = feedback_since(engine, since)
    assert {(r.user_id, r.model, r.rating, r.comment) for r in records} == {
        ("ana", "o3", "up", "Clear."),
        ("ana", "gpt-4o", "down", ""),
        ("bo", "o3", "down", "Wrong."),
    }
    assert records[0].message_id == third.id  # newest first
    assert feedback_since(engine, datetime.now(UTC) + timedelta(minutes=1)) == []


def test_an_import_keeps_feedback_and_files_in_a_folder_by_name(ana):
    chats, feedback, folders = ana
    prompt = user_message("Hi")
    reply = Message(role="assistant", text="Hello", parent_id=prompt.id, model="o3")
    tree = ConversationTree.of([prompt, reply], reply.id)
    existing = folders.create("Work")
    first = chats.add_conversation(
        "One", PARAMS, tree, feedback={reply.id: Feedback("down", "Rude")}, folder="work"
    )
    assert chats.info(first).folder_id == existing  # the same folder, whatever the case
    assert feedback.of_conversation(first) == {reply.id: Feedback("down", "Rude")}
    again = ConversationTree.of([user_message("Yo")], None)
    second = chats.add_conversation("Two", PARAMS, again, folder="Travel")
    assert [(f.name, f.count) for f in folders.folders()] == [("Travel", 1), ("Work", 1)]
    assert chats.info(second).folder_id != existing


def test_an_imported_comparison_keeps_feedback_and_its_folder(engine):
    migrate(engine)
    ConversationStore(engine, "ana")
    comparisons, feedback = ComparisonStore(engine, "ana"), FeedbackStore(engine, "ana")
    round_ = start_round([], ["o3", "gpt-4o"], "Name a prime", random.Random(1))
    for column, text in zip(round_.columns, ("Seven.", "Eleven."), strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
    gpt = round_.columns[1].answer.id
    comparison = comparisons.add_comparison(
        "Primes", PARAMS, [round_], feedback={gpt: Feedback("up", "Best")}, folder="Maths"
    )
    assert feedback.of_conversation(comparison) == {gpt: Feedback("up", "Best")}
    assert [(f.name, f.count) for f in FolderStore(engine, "ana").folders()] == [("Maths", 1)]


def test_folders_file_list_rename_and_delete_without_losing_anything(ana):
    chats, _, folders = ana
    work = folders.create("  Work   notes ")
    assert [f.name for f in folders.folders()] == ["Work notes"]
    filed, _ = exchange(chats, "Quarterly plan", "Here.")
    loose, _ = exchange(chats, "Quarterly lunch", "Pizza.")
    folders.file(filed, work)
    assert [c.id for c in chats.conversations(folder=work)] == [filed]
    assert [c.id for c in chats.conversations(folder=NO_FOLDER)] == [loose]
    assert {c.id for c in chats.conversations()} == {filed, loose}
    assert [c.id for c in chats.conversations("quarterly", folder=work)] == [filed]  # search in a folder
    assert [(f.name, f.count) for f in folders.folders()] == [("Work notes", 1)]
    folders.rename(work, "Projects")
    assert [f.name for f in folders.folders()] == ["Projects"]
    folders.delete(work)
    assert folders.folders() == []
    assert chats.info(filed).folder_id is None
    assert {c.title for c in chats.conversations()} == {"Quarterly plan", "Quarterly lunch"}


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("   ", "needs a name"),
        ("x" * 61, "at most 60 characters"),
        ("WORK", "already have a folder named “WORK”"),
    ],
)
def test_folder_names_are_checked_with_a_clear_message(ana, name, says):
    _, _, folders = ana
    folders.create("Work")
    with pytest.raises(FolderNameRejected, match=says):
        folders.create(name)
    other = folders.create("Home")
    with pytest.raises(FolderNameRejected, match=says):
        folders.rename(other, name)
    folders.rename(other, "home")  # its own name in another case is fine
    assert [f.name for f in folders.folders()] == ["home", "Work"]


def test_folders_are_per_person(ana, engine):
    chats, _, folders = ana
    work = folders.create("Work")
    conversation, _ = exchange(chats, "Plan", "Ok.")
    ConversationStore(engine, "bo")
    bo = FolderStore(engine, "bo")
    assert bo.folders() == []
    bo_work = bo.create("Work")  # the same name is free for someone else
    for attempt in (
        lambda: bo.rename(work, "Mine"),
        lambda: bo.delete(work),
        lambda: bo.file(conversation, bo_work),
        lambda: folders.file(conversation, bo_work),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert [f.name for f in folders.folders()] == ["Work"]
    assert chats.info(conversation).folder_id is None
