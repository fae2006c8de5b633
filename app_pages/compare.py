"""Compare models side by side: one prompt, 2 to 4 models answering at the same time."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.attachments import collect_images, reject_submission, restore_rejected_input, submission_parts
from components.compare_view import (
    render_leaderboard,
    render_round,
    render_summary,
    render_vote,
    stream_round,
)
from components.config import require_settings
from components.sidebar import render_compare_sidebar
from components.state.compare import (
    EXPORT_HTML,
    EXPORT_MD,
    INPUT,
    cast_vote,
    init_compare_state,
    new_comparison,
    rounds,
    votes,
)
from components.storage import RunStore
from core.compare import TIE
from core.compare_flow import start_round
from core.images import ACCEPTED_TYPES, ImageRejected
from core.limits import too_long_message
from core.report import report_html, report_markdown

settings = require_settings()
init_compare_state()
store = RunStore(settings)  # opened for the leaderboard, after the page is drawn
choice = render_compare_sidebar(settings, on_new=new_comparison)
prices = dict(settings.prices)
rejected = restore_rejected_input(INPUT)
submission = st.chat_input(
    "Ask every model at once… (attach images with +)",
    key=INPUT,
    submit_mode="disable",  # one round at a time; "Stop all" sits above the columns
    accept_file="multiple",
    file_type=list(ACCEPTED_TYPES),
)
prompt, files = submission_parts(submission)

st.title("Compare models")
if not rounds() and not prompt:
    st.caption("Pick 2 to 4 models in the sidebar, then type one prompt: they all answer at the same time.")

past = rounds()
for round_ in past:
    render_round(round_, choice.blind, prices)

if prompt.strip() or files:
    if not (choice.ready and choice.api_key):
        reject_submission(prompt, "Not sent: " + " ".join(choice.problems))
    too_long = too_long_message("prompt", len(prompt), settings.max_prompt_chars)
    if too_long:
        reject_submission(prompt, too_long)
    try:
        images = collect_images(prompt, files, settings, send_links=False)
    except ImageRejected as exc:
        reject_submission(prompt, str(exc))
    round_ = start_round(past, choice.models, prompt, images=images)
    past.append(round_)
    stream_round(settings, choice.api_key, round_, choice, prices)

if rejected:
    st.error(rejected, icon=":material/error:")

if past:
    latest = past[-1]
    if choice.blind and not latest.voted:
        render_vote(latest, partial(cast_vote, store=store))
        # The table, chart and exports name the models: they wait for the vote.
        st.caption("The round's summary and the export appear once you have voted.")
    else:
        if choice.blind:
            verdict = "it's a tie" if latest.winner == TIE else f"{latest.winner} wins"
            st.success(f"Vote recorded: {verdict}. Names revealed.", icon=":material/how_to_vote:")
        st.subheader("This round")
        render_summary(latest, prices)
        title = "GPTProto model comparison"
        exports = st.container(horizontal=True)
        exports.download_button(
            "Export Markdown",
            report_markdown(title, past, prices),
            "comparison.md",
            mime="text/markdown",
            key=EXPORT_MD,
            icon=":material/download:",
        )
        exports.download_button(
            "Export HTML",
            report_html(title, past, prices),
            "comparison.html",
            mime="text/html",
            key=EXPORT_HTML,
            icon=":material/download:",
        )

render_leaderboard(votes(store))
