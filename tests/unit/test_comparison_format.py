"""The comparison JSON export and its strict import, the summary over every round, and the report."""

from __future__ import annotations

import base64
import io
import json
import random

import pytest
from PIL import Image

from core.compare import TIE, comparison_summary
from core.compare_flow import start_round
from core.conversation import ChatParams, Status, Timing, Usage
from core.formats.comparison import export_comparison_json, import_comparison_json, is_comparison_export
from core.formats.strict import ImportRejected
from core.gateway.errors import ErrorKind, GatewayError
from core.images import ImageLimits, prepare_image
from core.report import report_html, report_markdown

PARAMS = ChatParams(model="o3", instructions="Be brief.")
PRICES = {"gpt-4o": (2.5, 10.0)}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), (250, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def two_rounds():
    image = prepare_image("red.png", png(), ImageLimits())
    first = start_round([], ["o3", "gpt-4o"], "Name a prime", random.Random(1), images=[image], blind=True)
    figures = [("Seven.", 0.4, 10), ("Eleven.", 0.2, 20)]
    for column, (text, ttft, completion) in zip(first.columns, figures, strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
        column.answer.usage = Usage(100, completion, 100 + completion, 0, 0)
        column.answer.timing = Timing(ttft, ttft + 1.0)
    first.winner = "gpt-4o"
    second = start_round([first], ["o3", "gpt-4o"], "Another", blind=True, params=PARAMS)
    o3, gpt = second.columns
    o3.answer.text, o3.answer.status = "Thirteen.", Status.COMPLETE
    o3.answer.usage, o3.answer.timing = Usage(200, 30, 230, 5, 0), Timing(0.6, 1.6)
    gpt.answer.status = Status.FAILED
    gpt.answer.error = GatewayError(
        ErrorKind.SERVER, "The gateway failed (500)", "Try again.", status_code=500
    )
    second.winner = TIE
    return [first, second]


def test_export_and_import_round_trip_every_round():
    rounds = two_rounds()
    raw = export_comparison_json("Demo", PARAMS, rounds).encode()
    assert is_comparison_export(raw)
    imported = import_comparison_json(raw)
    assert imported.title == "Demo" and imported.params == PARAMS
    for before, after in zip(rounds, imported.rounds, strict=True):
        assert (after.prompt, after.order, after.winner, after.blind) == (
            before.prompt,
            before.order,
            before.winner,
            before.blind,
        )
        for old, new in zip(before.columns, after.columns, strict=True):
            assert (new.model, new.answer.text, new.answer.status) == (
                old.model,
                old.answer.text,
                old.answer.status,
            )
            assert new.answer.usage == old.answer.usage and new.answer.timing == old.answer.timing
            assert new.answer.id != old.answer.id and new.answer.parent_id == after.prompt_message.id
    assert imported.rounds[0].prompt_message.images[0].width == 12
    failed = imported.rounds[1].columns[1].answer
    assert failed.error is not None and failed.error.title == "The gateway failed (500)"
    # Each model's history is rebuilt: the second round carries the first exchange.
    assert [m.text for m in imported.rounds[1].columns[1].history] == ["Name a prime", "Eleven.", "Another"]


def exported(**round_changes) -> bytes:
    data = json.loads(export_comparison_json("Demo", PARAMS, two_rounds()[:1]))
    data["rounds"][0].update(round_changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"format": "gptproto-chat.conversation"}', "not a GPTProto Chat comparison export"),
        (exported(models=["o3", "o3"]), "rounds[0].models: names a model twice"),
        (exported(models=["o3"]), "rounds[0].models: names 1 model(s); a round compares 2 to 4."),
        (exported(order=[0, 0]), "rounds[0].order: must list each column 0 to 1 once"),
        (exported(winner="o4-mini"),
         'rounds[0].winner: must be null, "tie" or one of the round\'s columns (o3, gpt-4o)'),
        (exported(models=["gpt-4o", "o3"]), "rounds[0].answers[0].model: is 'o3' but models[0] is 'gpt-4o'"),
        (exported(prompt={"text": "x", "images": [{"name": "a.png", "mime": "image/png", "data": "@@"}]}),
         "rounds[0].prompt.images[0].data: is not valid base64"),
        (exported(prompt={"text": 3}), "rounds[0].prompt.text: must be text"),
        (b'{"format": "gptproto-chat.comparison", "version": 2}', "version 2 is not supported"),
    ],
    ids=["not-a-comparison", "model-twice", "one-model", "bad-order", "stray-winner", "answer-order",
         "bad-base64", "number-as-text", "version"],
)  # fmt: skip
def test_an_import_is_refused_with_where_and_what(raw, fragment):
    with pytest.raises(ImportRejected) as refused:
        import_comparison_json(raw)
    assert fragment in str(refused.value)


def test_a_hostile_image_is_refused_by_the_upload_checks():
    image = {"name": "x.png", "mime": "image/png", "data": base64.b64encode(b"GIF89a nope").decode()}
    with pytest.raises(ImportRejected, match=r"rounds\[0\]\.prompt\.images\[0\]: x\.png is not an image"):
        import_comparison_json(exported(prompt={"text": "t", "images": [image]}))


def test_the_summary_over_every_round():
    rows = {row["model"]: row for row in comparison_summary(two_rounds(), PRICES)}
    o3, gpt = rows["o3"], rows["gpt-4o"]
    assert o3["answers"] == "2/2" and gpt["answers"] == "1/2"  # the failed answer is not counted
    assert o3["median first token (s)"] == 0.5  # median of 0.4 and 0.6
    assert gpt["median first token (s)"] == 0.2
    assert o3["median tokens/s"] == 20.0  # 10 tokens in 1.0 s, 30 tokens in 1.0 s
    assert (o3["prompt tokens"], o3["completion tokens"], o3["total tokens"]) == (300, 40, 340)
    assert o3["cost (USD, est.)"] is None  # no price for o3
    assert gpt["cost (USD, est.)"] == round((100 * 2.5 + 20 * 10) / 1e6, 6)
    assert (gpt["wins"], gpt["ties"], o3["wins"], o3["ties"]) == (1, 0, 0, 1)  # a failed model gets no tie


def test_the_report_has_every_round_and_the_summary():
    rounds = two_rounds()
    markdown = report_markdown("Demo", rounds, PRICES)
    assert "## Summary (every round)" in markdown and "| model | answers | median first token (s)" in markdown
    assert "*[image: red.png]*" in markdown and "*Instructions: Be brief.*" in markdown
    assert "*Blind vote: gpt-4o wins*" in markdown and "*Blind vote: a tie*" in markdown
    page = report_html("Demo", rounds, PRICES)
    assert "<h2>Summary (every round)</h2>" in page and "<td>2/2</td>" in page and "<script" not in page
