"""Feedback and folders without a database: the thumbs widget's values, comments and folder names
checked with a clear message, the Admin page's figures per model and its CSV, and both export
formats carrying feedback and the folder (strict on import, older files still importing)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from core.branches import ConversationTree
from core.compare_flow import start_round
from core.conversation import ChatParams, Message, Status, user_message
from core.feedback import (
    Feedback,
    FeedbackRecord,
    Rating,
    by_model,
    clean_comment,
    feedback_csv,
    rating_of,
    widget_value,
)
from core.folders import FolderNameRejected, clean_folder_name
from core.formats.comparison import export_comparison_json, import_comparison_json
from core.formats.conversation import export_json, import_json
from core.formats.strict import ImportRejected

PARAMS = ChatParams(model="o3")


def chat() -> tuple[ConversationTree, Message, Message]:
    prompt = user_message("Name a prime")
    answer = Message(role="assistant", text="Seven.", parent_id=prompt.id, model="o3", status=Status.COMPLETE)
    return ConversationTree.of([prompt, answer], answer.id), prompt, answer


def test_the_thumbs_widget_reads_0_as_down_and_1_as_up():
    assert [rating_of(value) for value in (None, 0, 1)] == [None, "down", "up"]
    assert [widget_value(f) for f in (None, Feedback("down"), Feedback("up", "ok"))] == [None, 0, 1]


def test_a_comment_is_trimmed_and_a_long_one_refused_saying_what_to_do():
    assert clean_comment("  Too short.\n") == "Too short."
    with pytest.raises(ValueError, match=r"2,001 characters long; the limit is 2,000\. Shorten it"):
        clean_comment("x" * 2001)


def test_folder_names_are_one_line_not_empty_short_and_unique_whatever_the_case():
    assert clean_folder_name("  Work\n notes ") == "Work notes"
    for name, says in (("  ", "needs a name"), ("y" * 61, "at most 60 characters; this one has 61")):
        with pytest.raises(FolderNameRejected, match=says):
            clean_folder_name(name)
    with pytest.raises(FolderNameRejected, match="already have a folder named “work”"):
        clean_folder_name("work", ["Home", "WORK"])


def record(model: str, rating: Rating, comment: str, minute: int, user: str = "ana") -> FeedbackRecord:
    return FeedbackRecord(
        user, model, rating, comment, datetime(2026, 12, 1, 9, minute, tzinfo=UTC), f"m{minute}"
    )


def test_per_model_the_share_of_up_votes_count_and_latest_comments():
    records = [
        record("o3", "up", "Clear.", 1),
        record("o3", "down", "Wrong\nanswer.", 5),
        record("o3", "up", "", 3),
        record("gpt-4o", "down", "Slow.", 2),
        record("o3", "up", "Fine.", 4),
        record("o3", "up", "Great.", 6),
    ]
    o3, gpt = by_model(records)
    # o3: 4 up of 5 rated = 80 %; its comments newest first (minutes 6, 5, 4), three at most.
    assert (o3.model, o3.up, o3.down, o3.count, o3.up_share) == ("o3", 4, 1, 5, 0.8)
    assert o3.latest_comments == ("Great.", "Wrong answer.", "Fine.")
    assert (gpt.model, gpt.count, gpt.up_share, gpt.latest_comments) == ("gpt-4o", 1, 0.0, ("Slow.",))


def test_the_feedback_csv_has_one_line_per_verdict_and_no_formulas():
    text = feedback_csv([record("o3", "down", "=HYPERLINK(1)", 7, "bo")], {"bo": "bo@example.com"})
    assert text == (
        "updated_at_utc,user_id,user_email,model,rating,comment,message_id\n"
        "2026-12-01 09:07:00,bo,bo@example.com,o3,down,'=HYPERLINK(1),m7\n"
    )


def test_a_conversation_exports_and_imports_its_feedback_and_folder():
    tree, _, answer = chat()
    raw = export_json(
        "Primes", PARAMS, tree, feedback={answer.id: Feedback("down", "Too short.")}, folder="Maths"
    )
    document = json.loads(raw)
    assert document["folder"] == "Maths"
    assert document["messages"][1]["feedback"] == {"rating": "down", "comment": "Too short."}
    assert "feedback" not in document["messages"][0]
    imported = import_json(raw.encode())
    (new_answer,) = [m for m in imported.tree.messages.values() if m.role == "assistant"]
    assert imported.feedback == {new_answer.id: Feedback("down", "Too short.")}
    assert imported.folder == "Maths"


def test_an_export_without_feedback_or_folder_has_neither_key_and_imports_without_them():
    tree, _, _ = chat()
    raw = export_json("Primes", PARAMS, tree)
    assert "feedback" not in raw and "folder" not in raw
    imported = import_json(raw.encode())
    assert imported.feedback == {} and imported.folder is None


def edited(change) -> bytes:
    tree, _, answer = chat()
    document = json.loads(
        export_json("Primes", PARAMS, tree, feedback={answer.id: Feedback("up")}, folder="Maths")
    )
    change(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["messages"][0].update(feedback={"rating": "up"}),
            "messages[0].feedback: only an answer (role assistant) has feedback; remove it.",
        ),
        (lambda d: d["messages"][1]["feedback"].update(rating="meh"), "messages[1].feedback.rating"),
        (lambda d: d["messages"][1]["feedback"].update(comment="c" * 2001), "messages[1].feedback.comment"),
        (lambda d: d.update(folder="   "), "folder: A folder needs a name: type one."),
        (lambda d: d.update(folder="f" * 61), "folder"),
    ],
)
def test_an_import_refuses_bad_feedback_or_folder_saying_where(change, message):
    with pytest.raises(ImportRejected) as refused:
        import_json(edited(change))
    assert message in str(refused.value)


def test_a_comparison_exports_and_imports_feedback_per_answer_and_its_folder():
    round_ = start_round([], ["o3", "gpt-4o"], "Name a prime", random.Random(2))
    for column, text in zip(round_.columns, ("Seven.", "Eleven."), strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
    gpt = round_.columns[1].answer
    raw = export_comparison_json(
        "Primes", PARAMS, [round_], feedback={gpt.id: Feedback("up", "Best one")}, folder="Maths"
    )
    answers = json.loads(raw)["rounds"][0]["answers"]
    assert [a.get("feedback") for a in answers] == [None, {"rating": "up", "comment": "Best one"}]
    imported = import_comparison_json(raw.encode())
    new_gpt = imported.rounds[0].columns[1].answer
    assert imported.feedback == {new_gpt.id: Feedback("up", "Best one")} and imported.folder == "Maths"
    plain = import_comparison_json(export_comparison_json("Primes", PARAMS, [round_]).encode())
    assert plain.feedback == {} and plain.folder is None
