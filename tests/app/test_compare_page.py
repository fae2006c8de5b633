"""The compare page against the stand-in: side-by-side answers, their figures, failures kept in
their own column, follow-ups, blind votes and the exports."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from components.state import compare as compare_state
from devtools.standin import ErrorReply, Reply
from tests.app.helpers import app_on, as_read, image_captions, send

PRICES = "gpt-4o=2.5/10,o3=2/8"
THREE = ["o4-mini", "gpt-4o", "o3"]
ANSWERS = {
    "o4-mini": "Seven is prime, says the small one.",
    "gpt-4o": "Eleven is a prime <b>number</b>.",
    "o3": "Thirteen: prime, after some thought.",
}


@pytest.fixture
def gateway_env(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_PRICES", PRICES)
    return gateway_env


def start_compare(models: list[str] | None = None, *, blind: bool = False) -> AppTest:
    at = app_on("compare")
    at.run()
    assert not at.exception, at.exception
    if models is not None:
        at.multiselect(key=compare_state.MODELS).set_value(models)
    if blind:
        at.toggle(key=compare_state.BLIND).set_value(True)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, text: str) -> AppTest:
    return send(at, text, key=compare_state.INPUT)


def script_answers(standin, answers: dict[str, str], **reply) -> None:
    for model, text in answers.items():
        standin.enqueue_for(model, Reply(text=text, **reply))


def columns(at: AppTest, round_number: int = 1, count: int = 3) -> list[dict[str, str]]:
    """What each column of a round shows, left to right."""
    shown = []
    for column in list(at.columns)[(round_number - 1) * count : round_number * count]:
        shown.append(
            {
                "title": " ".join(h.value for h in column.subheader),
                "text": " ".join(md.value for md in column.markdown),
                "captions": as_read("\n".join(c.value for c in column.caption)),
                "errors": as_read("\n".join(e.value for e in column.error)),
            }
        )
    return shown


def main_text(at: AppTest) -> str:
    """Everything written in the main area, for checking what blind mode hides."""
    kinds = ("title", "subheader", "markdown", "caption", "error", "success", "warning", "info")
    return "\n".join(str(node.value) for kind in kinds for node in getattr(at.main, kind))


def bodies_by_model(standin) -> dict[str, dict]:
    return {request.body["model"]: request.body for request in standin.requests}


def latest_round(at: AppTest):
    return at.session_state[compare_state.ROUNDS][-1]


def test_three_models_answer_side_by_side_with_their_figures(gateway_env):
    gateway_env.enqueue_for(
        "o4-mini", Reply(text=ANSWERS["o4-mini"], prompt_tokens=40, completion_tokens=30, reasoning_tokens=12)
    )
    gateway_env.enqueue_for(
        "gpt-4o", Reply(text=ANSWERS["gpt-4o"], prompt_tokens=40, completion_tokens=20, cached_tokens=8)
    )
    gateway_env.enqueue_for(
        "o3", Reply(text=ANSWERS["o3"], prompt_tokens=40, completion_tokens=50, reasoning_tokens=25)
    )
    at = start_compare(THREE)
    at.text_area(key=compare_state.OPTIONS.instructions).set_value("Be brief.")
    at.text_input(key=compare_state.OPTIONS.max_tokens).set_value("500")
    ask(at.run(), "Name a prime.")

    shown = columns(at)
    assert [c["title"] for c in shown] == THREE
    assert [c["text"] for c in shown] == [ANSWERS[m] for m in THREE]
    o4, gpt, o3 = (c["captions"] for c in shown)
    assert "40 prompt · 30 completion · 12 reasoning · 0 cached tokens" in o4
    assert "40 prompt · 20 completion · 0 reasoning · 8 cached tokens" in gpt
    assert "40 prompt · 50 completion · 25 reasoning · 0 cached tokens" in o3
    for caption in (o4, gpt, o3):
        assert "first token " in caption and "total " in caption and "tokens/s" in caption
    # Estimates from GPTPROTO_PRICES, with the prices used; none for a model without a price.
    assert "Cost: ≈ $0.0003 (est. at $2.5/$10 per 1M tokens)" in gpt  # 40×2.5 + 20×10 per 1M
    assert "Cost: ≈ $0.0005 (est. at $2/$8 per 1M tokens)" in o3  # 40×2 + 50×8 per 1M
    assert "Cost: no price set" in o4
    assert not any(c["errors"] for c in shown)

    # One request per model, all with the same options; the automatic role is decided per model.
    bodies = bodies_by_model(gateway_env)
    assert len(gateway_env.requests) == 3 and sorted(bodies) == sorted(THREE)
    for model, body in bodies.items():
        role = "system" if model == "gpt-4o" else "developer"
        assert body["messages"] == [
            {"role": role, "content": "Be brief."},
            {"role": "user", "content": "Name a prime."},
        ]
        assert body["max_completion_tokens"] == 500
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}

    # The round's summary: a table with every model's figures, and a chart.
    table = at.dataframe[0].value.set_index("model")
    assert list(table.index) == THREE
    assert table.loc["o3", "completion tokens"] == 50 and table.loc["o3", "reasoning tokens"] == 25
    assert table.loc["gpt-4o", "cached tokens"] == 8
    assert table.loc["gpt-4o", "cost (USD, est.)"] == "≈ $0.0003"
    assert table.loc["o4-mini", "cost (USD, est.)"] == "no price set"
    assert (table["first token (s)"] > 0).all() and (table["tokens/s"] > 0).all()
    assert len(at.get("vega_lite_chart")) == 1


def test_non_streamed_round(gateway_env):
    script_answers(gateway_env, {"o4-mini": "Whole answer one.", "gpt-4o": "Whole answer two."})
    at = start_compare(["o4-mini", "gpt-4o"])
    at.toggle(key=compare_state.OPTIONS.stream).set_value(False).run()
    ask(at, "Hi")
    shown = columns(at, count=2)
    assert [c["text"] for c in shown] == ["Whole answer one.", "Whole answer two."]
    assert all("completion" in c["captions"] and "Cost:" in c["captions"] for c in shown)
    for body in bodies_by_model(gateway_env).values():
        assert body["stream"] is False and "stream_options" not in body


@pytest.mark.parametrize(
    ("failure", "fragment"),
    [
        (ErrorReply.unauthorized(), "The API key is missing or invalid"),
        (ErrorReply.rate_limited(retry_after=30), "Rate limited"),
        (ErrorReply.content_policy(), "Blocked by the content policy"),
        (Reply(text="Half of an answer that breaks", drop_after=3), "dropped in the middle of the answer"),
    ],
    ids=["401", "429", "content-policy", "broken-stream"],
)
def test_one_failure_stays_in_its_own_column(gateway_env, monkeypatch, failure, fragment):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway_env.enqueue_for("gpt-4o", failure)
    script_answers(gateway_env, {"o4-mini": ANSWERS["o4-mini"], "o3": ANSWERS["o3"]})
    at = ask(start_compare(THREE), "Name a prime.")

    o4, gpt, o3 = columns(at)
    assert fragment.lower() in gpt["errors"].lower()
    assert ANSWERS["gpt-4o"] not in gpt["text"]
    if isinstance(failure, Reply):
        assert gpt["text"] == "Half of an"  # what arrived before the break is kept
    for ok, model in ((o4, "o4-mini"), (o3, "o3")):
        assert ok["text"] == ANSWERS[model]
        assert not ok["errors"]
        assert "tokens/s" in ok["captions"] and "Cost:" in ok["captions"]
    # The only error boxes on the page are the failed column's.
    assert [e.value for e in at.main.error] == [e.value for e in list(at.columns)[1].error]
    table = at.dataframe[0].value.set_index("model")
    assert table.loc["gpt-4o", "status"] == "failed"
    assert (table.loc[["o4-mini", "o3"], "status"] == "complete").all()


def test_follow_up_continues_each_models_own_conversation(gateway_env):
    gateway_env.enqueue_for("o4-mini", Reply(text="Small: Paris."), Reply(text="Small: about 2.1 million."))
    gateway_env.enqueue_for("gpt-4o", Reply(text="Big: Paris!"), Reply(text="Big: roughly two million."))
    at = ask(start_compare(["o4-mini", "gpt-4o"]), "Capital of France?")
    ask(at, "How many people live there?")

    assert [c["text"] for c in columns(at, 2, count=2)] == [
        "Small: about 2.1 million.",
        "Big: roughly two million.",
    ]
    second = {r.body["model"]: r.body["messages"] for r in gateway_env.requests[2:]}
    assert second == {
        "o4-mini": [
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Small: Paris."},
            {"role": "user", "content": "How many people live there?"},
        ],
        "gpt-4o": [
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Big: Paris!"},
            {"role": "user", "content": "How many people live there?"},
        ],
    }
    # Both rounds stay on the page, and the export covers both.
    assert [c["text"] for c in columns(at, 1, count=2)] == ["Small: Paris.", "Big: Paris!"]


def test_blind_mode_hides_names_until_the_vote_then_counts_the_win(gateway_env):
    blind_answers = {"o4-mini": "Answer number one.", "gpt-4o": "Answer number two.", "o3": "Answer three."}
    script_answers(gateway_env, blind_answers)
    at = ask(start_compare(THREE, blind=True), "Which is best?")

    order = latest_round(at).order
    assert sorted(order) == [0, 1, 2]
    shown = columns(at)
    assert [c["title"] for c in shown] == ["Model A", "Model B", "Model C"]
    # Label A shows the answer of the model at order[0], and so on.
    assert [c["text"] for c in shown] == [blind_answers[THREE[i]] for i in order]
    assert all("tokens/s" in c["captions"] for c in shown)
    page = main_text(at)
    for model in THREE:
        assert model not in page
    assert not at.dataframe and not at.get("download_button")  # the summary would give names away

    winner = THREE[order[1]]
    at.button(key=compare_state.vote_key("B")).click().run()
    assert [c["title"] for c in columns(at)] == [
        f"{label} · {THREE[i]}" for label, i in zip("ABC", order, strict=True)
    ]
    assert f"{winner} wins" in " ".join(s.value for s in at.success)
    assert "Cost:" in columns(at)[1]["captions"]
    summary, board = (df.value for df in at.dataframe)
    assert summary.set_index("model").loc[winner, "vote"] == "winner"
    standings = board.set_index("model")
    assert standings.loc[winner, "wins"] == 1
    assert standings["wins"].sum() == 1 and (standings["rounds"] == 1).all()

    # A follow-up keeps the labels on the same conversations; a tie counts for everyone.
    script_answers(gateway_env, {m: f"{t} Again." for m, t in blind_answers.items()})
    ask(at, "And now?")
    assert latest_round(at).order == order
    assert [c["title"] for c in columns(at, 2)] == ["Model A", "Model B", "Model C"]
    assert [c["text"] for c in columns(at, 2)] == [f"{blind_answers[THREE[i]]} Again." for i in order]
    at.button(key=compare_state.vote_key("tie")).click().run()
    standings = at.dataframe[-1].value.set_index("model")
    assert standings.loc[winner, "wins"] == 1 and standings["wins"].sum() == 1
    assert (standings["ties"] == 1).all() and (standings["rounds"] == 2).all()
    assert standings.index[0] == winner


def test_a_failed_model_gets_no_vote_and_no_round(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway_env.enqueue_for("gpt-4o", ErrorReply.server_error())
    script_answers(gateway_env, {"o4-mini": "One.", "o3": "Three."})
    at = ask(start_compare(THREE, blind=True), "Go")
    failed_label = latest_round(at).label_of(THREE.index("gpt-4o"))
    vote_keys = {b.key for b in at.button if b.key and b.key.startswith(compare_state.vote_key(""))}
    assert compare_state.vote_key(failed_label) not in vote_keys and len(vote_keys) == 3  # two answers + tie
    at.button(key=compare_state.vote_key("tie")).click().run()
    standings = at.dataframe[1].value.set_index("model")
    assert sorted(standings.index) == ["o3", "o4-mini"]


def test_exports_contain_every_answer_and_figure(gateway_env, downloads):
    gateway_env.enqueue_for("o4-mini", Reply(text=ANSWERS["o4-mini"], prompt_tokens=40, completion_tokens=30))
    gateway_env.enqueue_for("gpt-4o", Reply(text=ANSWERS["gpt-4o"], prompt_tokens=41, completion_tokens=20))
    gateway_env.enqueue_for("o3", ErrorReply.content_policy())
    at = ask(start_compare(THREE), "Name a prime.")
    buttons = {b.key: b for b in at.get("download_button")}
    markdown = downloads(buttons[compare_state.EXPORT_MD]).decode()
    page = downloads(buttons[compare_state.EXPORT_HTML]).decode()

    # model | status | first token | total | tokens/s | prompt | completion | reasoning | cached |
    # cost | vote: the token counts are the stand-in's, the cost is 41 × $2.5 + 20 × $10 per 1M.
    timing = r"[0-9.]+ \| [0-9.]+ \| [0-9.]+"
    expected = {
        "o4-mini": rf"\| o4-mini \| complete \| {timing} \| 40 \| 30 \| 0 \| 0 \| – \| – \|",
        "gpt-4o": rf"\| gpt-4o \| complete \| {timing} \| 41 \| 20 \| 0 \| 0 \| 0\.000302 \| – \|",
        "o3": r"\| o3 \| failed \| – \| [0-9.]+ \| – \| – \| – \| – \| – \| – \| – \|",
    }
    for model, row in expected.items():
        assert re.search(row, markdown), (model, markdown)
    for cell in ("<td>gpt-4o</td>", "<td>41</td>", "<td>20</td>", "<td>0.000302</td>", "<td>failed</td>"):
        assert cell in page
    for fragment in ("Name a prime.", "### o4-mini", "### gpt-4o", "### o3", ANSWERS["o4-mini"]):
        assert fragment in markdown
    assert ANSWERS["gpt-4o"] in markdown and "Blocked by the content policy" in markdown
    assert "gpt-4o $2.5/$10" in markdown and "o4-mini no price set" in markdown
    # The HTML is one self-contained file with the answers escaped, not rendered.
    assert page.startswith("<!doctype html>") and "<script" not in page and "<link" not in page
    assert "Eleven is a prime &lt;b&gt;number&lt;/b&gt;." in page and ANSWERS["o4-mini"] in page
    assert "Blocked by the content policy" in page and "gpt-4o $2.5/$10" in page


def test_one_model_is_not_a_comparison(gateway_env):
    at = start_compare(["gpt-4o"])
    assert "Pick 2 to 4 models" in " ".join(e.value for e in at.sidebar.error)
    ask(at, "Anyone?")
    assert gateway_env.requests == []
    assert "Not sent" in " ".join(e.value for e in at.main.error)
    assert at.chat_input(key=compare_state.INPUT).value == "Anyone?"  # kept to send once fixed


def test_new_comparison_clears_rounds_but_keeps_the_leaderboard(gateway_env):
    at = ask(start_compare(["o4-mini", "gpt-4o"], blind=True), "First")
    at.button(key=compare_state.vote_key("A")).click().run()
    at.button(key=compare_state.NEW).click().run()
    assert not at.columns and not at.session_state[compare_state.ROUNDS]
    assert len(at.dataframe) == 1 and at.dataframe[0].value["wins"].sum() == 1


def test_votes_are_stored_and_the_leaderboard_survives_a_new_session(gateway_env):
    script_answers(gateway_env, {m: f"Answer from {m}." for m in THREE})
    at = ask(start_compare(THREE, blind=True), "Pick one")
    winner = THREE[latest_round(at).order[0]]
    at.button(key=compare_state.vote_key("A")).click().run()
    later = start_compare(THREE)
    board = later.dataframe[0].value.set_index("model")
    assert board.loc[winner, "wins"] == 1 and board["rounds"].sum() == 3


def test_an_attached_image_goes_to_every_model_and_shows_in_the_prompt(gateway_env):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 0, 0)).save(buffer, format="PNG")
    at = start_compare(THREE)
    at.chat_input(key=compare_state.INPUT).set_value("What colour?").upload(
        "red.png", buffer.getvalue(), "image/png"
    )
    at.run()
    assert not at.exception, at.exception
    for body in bodies_by_model(gateway_env).values():
        content = body["messages"][-1]["content"]
        assert content[0] == {"type": "text", "text": "What colour?"}
        assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert image_captions(at) == [["red.png"]]


def test_a_broken_image_is_named_and_the_prompt_kept(gateway_env):
    at = start_compare(THREE)
    at.chat_input(key=compare_state.INPUT).set_value("Look").upload("bad.png", b"not an image", "image/png")
    at.run()
    assert "bad.png is not an image" in " ".join(e.value for e in at.main.error)
    assert at.chat_input(key=compare_state.INPUT).value == "Look"
    assert gateway_env.requests == []
