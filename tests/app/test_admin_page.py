"""The admin page: admins see the team's usage, budgets and request log and edit limits; anyone
else sees 'Not available' and nothing of the data.

Who is looking is set by replacing `components.plumbing.identity.current_identity` (the one function the
page asks) with one returning a person with the four fields the page reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from components.state import admin as admin_state
from core.admission import Hold
from core.conversation import Message, Status, Usage
from core.identity import Identity
from core.quotas import Limits
from core.storage import UsageStore, database_url, make_engine, migrate, upsert_user
from tests.app.helpers import app_on

ADMIN = Identity("admin-1", "Ada Admin", "ada@example.com", "oidc", is_admin=True)
MEMBER = Identity("ana", "Ana", "ana@example.com", "oidc", is_admin=False)


def look_as(monkeypatch, person: Identity | None) -> None:
    monkeypatch.setattr("components.plumbing.identity.current_identity", lambda settings: person)


@pytest.fixture
def engine(tmp_path) -> Iterator[Engine]:
    """The app's own SQLite database (GPTPROTO_DATA_DIR points into tmp_path)."""
    created = make_engine(database_url(str(tmp_path / "data"), None))
    migrate(created)
    yield created
    created.dispose()


@pytest.fixture
def team(engine) -> UsageStore:
    """Five recent requests of two people and one six weeks old, with literal figures."""
    upsert_user(engine, "ana", email="ana@example.com", name="Ana", issuer="https://id", subject="ana")
    upsert_user(engine, "bob", email="bob@example.com", name="Bob", issuer="https://id", subject="bob")
    usage = UsageStore(engine)
    recent = datetime.now(UTC) - timedelta(seconds=5)

    def request(user: str, model: str, when: datetime = recent, **finish) -> None:
        [row_id] = usage.reserve(user, [model], page="chat", defaults=Limits(), at=when)  # type: ignore[misc]
        usage.finish(row_id, **finish)

    request(
        "ana", "o3", status="complete", usage=Usage(100, 200, 300, 50, 10), cost_usd=0.002, request_id="r-1"
    )
    request("ana", "o3", status="complete", usage=Usage(10, 20, 30, 5, 0), cost_usd=0.0002, request_id="r-2")
    request("ana", "gpt-4o", status="failed", error_kind="rate_limit", request_id="r-3")
    request("bob", "gpt-4o", status="complete", usage=Usage(1_000, 500, 1_500, 0, 100), request_id="r-4")
    request("bob", "o3", status="failed", error_kind="server", request_id="r-5")
    old = datetime.now(UTC) - timedelta(days=42)
    request("bob", "o4-mini", old, status="complete", usage=Usage(7_000, 0, 7_000), request_id="r-old")
    usage.set_limits("ana", Limits(requests_per_minute=3, tokens_per_day=50_000), by="setup")
    return usage


def open_admin() -> AppTest:
    at = app_on("admin")
    at.run()
    assert not at.exception, at.exception
    return at


def drawn(node: Block) -> Iterator[object]:
    """Every element on the page, inside containers too."""
    for child in node.children.values():
        if isinstance(child, Block):
            yield from drawn(child)
        else:
            yield child


# Each table, by the column only it has.
USERS, MODELS, ERRORS, BUDGETS = "last request (UTC)", "model", "error", "tokens today"


def table(at: AppTest, column: str):
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def chart(at: AppTest, alt: str):
    from streamlit import dataframe_util

    found = [element for element in at.get("vega_lite_chart") if element.proto.alt == alt]
    assert len(found) == 1, f"no chart {alt!r}"
    return dataframe_util.convert_arrow_bytes_to_pandas_df(found[0].proto.datasets[0].data.data)


@pytest.mark.parametrize("person", [MEMBER, None], ids=["member", "signed-out"])
def test_anyone_but_an_admin_sees_not_available_and_nothing_of_the_data(monkeypatch, team, person):
    look_as(monkeypatch, person)
    at = open_admin()
    assert [title.value for title in at.title] == ["Not available"]
    elements = list(drawn(at.main))  # the sidebar holds only the app's own presenter toggle
    assert sorted(element.type for element in elements) == ["caption", "title"]  # type: ignore[attr-defined]
    assert [toggle.label for toggle in at.sidebar.toggle] == ["Presenter view"]
    page = " ".join(str(element.proto) for element in elements)  # type: ignore[attr-defined]
    assert "ana@example.com" not in page and "bob" not in page and "o3" not in page


def test_an_admin_sees_per_user_and_per_model_usage_errors_and_budgets(monkeypatch, team):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    assert [title.value for title in at.title] == ["Usage and limits"]
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics == {"Requests": "5", "Tokens": "1,830", "Cost (est.)": "$0.00", "Errors": "2"}

    users = table(at, USERS)
    assert list(users["user"]) == ["bob@example.com", "ana@example.com"]  # most tokens first
    ana = users.set_index("user").loc["ana@example.com"]
    assert (ana["requests"], ana["prompt tokens"], ana["completion tokens"]) == (3, 110, 220)
    assert (ana["reasoning tokens"], ana["cached tokens"], ana["total tokens"], ana["errors"]) == (
        55,
        10,
        330,
        1,
    )
    assert ana["cost (USD, est.)"] == 0.0022

    models = table(at, MODELS)
    assert [tuple(row) for row in models[["model", "requests", "total tokens", "errors"]].values] == [
        ("o3", 3, 330, 1),
        ("gpt-4o", 2, 1_500, 1),
    ]
    errors = table(at, ERRORS)
    assert [tuple(row) for row in errors.values] == [("rate_limit", 1), ("server", 1)]

    by_user = chart(at, "Tokens per day by user").groupby("user")["tokens"].sum().to_dict()
    assert by_user == {"ana@example.com": 330, "bob@example.com": 1_500}
    by_model = chart(at, "Tokens per day by model").groupby("model")["tokens"].sum().to_dict()
    assert by_model == {"o3": 330, "gpt-4o": 1_500}

    budgets = table(at, BUDGETS).set_index("user")
    assert budgets.loc["ana@example.com", "limits"] == "custom"
    assert budgets.loc["ana@example.com", "tokens today"] == "330 of 50,000 (1%)"
    assert " of 3 (" in budgets.loc["ana@example.com", "requests this minute"]
    assert budgets.loc["bob@example.com", "limits"] == "default"
    assert budgets.loc["bob@example.com", "tokens today"] == "1,500 (no limit)"


def test_the_period_picker_brings_older_requests_in(monkeypatch, team):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    assert "o4-mini" not in list(table(at, MODELS)["model"])
    at.radio(key=admin_state.PERIOD).set_value(90).run()
    assert not at.exception, at.exception
    assert "o4-mini" in list(table(at, MODELS)["model"])
    assert {metric.label: metric.value for metric in at.metric}["Tokens"] == "8,830"


def test_the_csv_download_holds_every_request_of_the_period(monkeypatch, team, downloads):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    [button] = [b for b in at.get("download_button") if b.key == admin_state.DOWNLOAD_CSV]
    assert button.key == admin_state.DOWNLOAD_CSV
    raw = downloads(button).decode()
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert sorted(row["request_id"] for row in rows) == ["r-1", "r-2", "r-3", "r-4", "r-5"]
    first = next(row for row in rows if row["request_id"] == "r-1")
    assert (first["user_email"], first["model"], first["status"], first["total_tokens"]) == (
        "ana@example.com",
        "o3",
        "complete",
        "300",
    )
    assert (first["reasoning_tokens"], first["cached_tokens"], first["cost_usd"]) == ("50", "10", "0.002")
    assert next(row for row in rows if row["request_id"] == "r-5")["error_kind"] == "server"


def test_editing_a_users_limits_saves_them_for_every_replica(monkeypatch, team, engine):
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    at.selectbox(key=admin_state.LIMITS_USER).set_value("bob").run()
    at.number_input(key=admin_state.limit_key("requests_per_minute", "bob")).set_value(5)
    at.number_input(key=admin_state.limit_key("cost_per_month_usd", "bob")).set_value(12.5)
    at.button(key=admin_state.LIMITS_SAVE).click().run()
    assert not at.exception, at.exception
    assert UsageStore(engine).all_limits()["bob"] == Limits(5, None, 12.5)
    with engine.connect() as connection:
        by = connection.execute(text("SELECT updated_by FROM user_limits WHERE user_id = 'bob'")).scalar()
    assert by == "ada@example.com"
    assert "Limits saved for bob@example.com: 5 requests per minute" in at.success[0].value
    budgets = table(at, BUDGETS).set_index("user")
    assert budgets.loc["bob@example.com", "limits"] == "custom"
    assert budgets.loc["bob@example.com", "cost this month"] == "$0.00 of $12.50 (0%)"

    # Emptying every box goes back to the defaults.
    at.number_input(key=admin_state.limit_key("requests_per_minute", "bob")).set_value(None)
    at.number_input(key=admin_state.limit_key("cost_per_month_usd", "bob")).set_value(None)
    at.button(key=admin_state.LIMITS_SAVE).click().run()
    assert not at.exception, at.exception
    assert "bob" not in UsageStore(engine).all_limits()


def test_estimated_figures_are_marked_and_a_request_a_dead_process_left_is_settled(
    monkeypatch, team, downloads
):
    # Ana's request was left 'sent' 700 s ago by a process that died: past the 600 s total
    # timeout and a minute, its hold of 104 + 4,096 tokens stays as its estimate.
    [dead] = team.reserve(
        "ana", ["o3"], page="chat", defaults=Limits(), at=datetime.now(UTC) - timedelta(seconds=700),
        holds=[Hold(104, 4_096)],
    )  # fmt: skip
    # Bob stopped an answer before its usage came: 10 for the prompt, 40 characters = 10 tokens.
    [stopped] = team.reserve("bob", ["gpt-4o"], page="chat", defaults=Limits(), holds=[Hold(10, 500)])
    answer = Message(role="assistant", model="gpt-4o", text="y" * 40, status=Status.STOPPED)
    team.finish_answer(stopped, answer, {}, hold=Hold(10, 500))
    look_as(monkeypatch, ADMIN)
    at = open_admin()
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Tokens"] == "6,050"  # 1,830 reported + 4,200 + 20 estimated
    assert (
        "≈ 4,220 of these tokens are estimates: answers stopped, closed or cut short before the "
        "gateway reported their usage, and what is held for answers still streaming."
    ) in [caption.value for caption in at.caption]
    users = table(at, USERS).set_index("user")
    assert users.loc["ana@example.com", "of them estimated"] == 4_200
    assert users.loc["bob@example.com", "of them estimated"] == 20
    [button] = [b for b in at.get("download_button") if b.key == admin_state.DOWNLOAD_CSV]
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(downloads(button).decode()))}
    assert (rows[str(dead)]["status"], rows[str(dead)]["error_kind"], rows[str(dead)]["total_tokens"]) == (
        "incomplete",
        "incomplete",
        "4200",
    )
    assert rows[str(dead)]["tokens_estimated"] == "yes" and rows[str(stopped)]["tokens_estimated"] == "yes"
    reported = next(row for row in rows.values() if row["request_id"] == "r-1")
    assert reported["tokens_estimated"] == "no"
