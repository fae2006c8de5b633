"""Compare models side by side: one prompt, 2 to 4 models answering at the same time; every round
stored as it streams, the comparison named in the URL, and prompt sets stepped through."""

from __future__ import annotations

from functools import partial

import streamlit as st

from components.allowance_view import render_allowance
from components.answer_feedback import feedback_drawer, stored_feedback
from components.attachments import (
    ATTACHABLE_TYPES,
    AttachmentRejected,
    collect_attachments,
    reject_submission,
    restore_rejected_input,
    submission_parts,
)
from components.compare_round import resend_column, send_round
from components.compare_view import (
    render_comparison_summary,
    render_leaderboard,
    render_round,
    render_summary,
    render_vote,
)
from components.comparison_exports import render_comparison_actions, render_comparison_library
from components.plumbing.compare_persistence import cast_vote, leaderboard_votes, open_from_url
from components.plumbing.config import preload_gateway, require_settings
from components.plumbing.policy import current_allowance
from components.plumbing.routes import run_the_app_instead
from components.plumbing.storage import RunStore
from components.preset_chooser import render_compare_presets
from components.prompt_set_editor import render_editor
from components.prompt_set_runner import (
    finish_step,
    halt_step,
    render_run_panel,
    render_step_progress,
    take_sheet_step,
)
from components.share_links import render_share_button
from components.sidebar import render_compare_sidebar
from components.state.common import take_save_problem
from components.state.compare import (
    INPUT,
    comparison_id,
    init_compare_state,
    new_comparison,
    rounds,
    take_resend,
)
from components.state.feedback import COMPARE as FEEDBACK_ON
from components.state.presets import COMPARE, take_starter
from core.compare import TIE
from core.gateway.errors import NO_KEY_PROBLEM
from core.input_length import too_long_message
from core.safe_text import literal


def compare_page() -> None:
    """Draw the Compare models page, as the module's docstring describes."""
    settings = require_settings()
    init_compare_state()
    store = RunStore(settings)
    notice = open_from_url(store)  # before the sidebar: a reopened comparison restores its choices
    allowed = current_allowance(settings, store).models
    choice = render_compare_sidebar(settings, on_new=new_comparison, allowed=allowed)
    prices = dict(settings.prices)
    rejected = restore_rejected_input(INPUT)
    submission = st.chat_input(
        "Ask every model at once… (attach images and documents with +)",
        key=INPUT,
        submit_mode="disable",  # one round at a time; "Stop all" sits above the columns
        accept_file="multiple",
        file_type=ATTACHABLE_TYPES,
    )
    prompt, files = submission_parts(submission)
    if not (prompt or files):
        prompt = take_starter(COMPARE) or ""  # a preset's starter prompt clicked

    st.title("Compare models")
    if notice:
        st.warning(literal(notice), icon=":material/search_off:")
    presets_slot = None
    if not rounds() and not prompt:
        st.caption(
            "Pick 2 to 4 models in the sidebar, then type one prompt: they all answer at the same time."
        )
        presets_slot = st.container()  # filled last: listing presets opens the database

    past = rounds()
    resend = take_resend()  # consumed either way: a prompt sent meanwhile goes first
    resend = resend if past and not (prompt.strip() or files) else None
    vote_on = partial(cast_vote, store=store)
    feedback = feedback_drawer(store, FEEDBACK_ON, stored_feedback(store, comparison_id())) if past else None
    for position, round_ in enumerate(past[:-1] if resend else past):
        render_round(round_, prices, feedback, latest=position == len(past) - 1)
        if round_.blind and not round_.voted and position < len(past) - 1:
            render_vote(round_, partial(vote_on, position=position), position)

    if resend is not None:  # a column of the latest round, again without a refused parameter
        index, name = resend
        refused: str | None = NO_KEY_PROBLEM
        if choice.api_key:
            refused = resend_column(settings, store, choice, past[-1], index, name)
        if refused:
            render_round(past[-1], prices, feedback, latest=True)
            st.error(literal(refused), icon=":material/error:")
    elif prompt.strip() or files:
        if not (choice.ready and choice.api_key):
            reject_submission(prompt, "Not sent: " + " ".join(choice.problems))
        too_long = too_long_message("prompt", len(prompt), settings.max_prompt_chars)
        if too_long:
            reject_submission(prompt, too_long)
        try:
            images, documents = collect_attachments(prompt, files, settings, send_links=False)
        except AttachmentRejected as exc:
            reject_submission(prompt, str(exc))
        sent = send_round(settings, store, choice, prompt, images, documents=documents)
        if isinstance(sent, str):  # over a usage limit: nothing sent, the prompt goes back
            reject_submission(prompt, sent)
    elif (step := take_sheet_step(store, choice)) is not None:
        render_step_progress(step)
        item = step.item
        sent = send_round(
            settings,
            store,
            choice,
            item.text,
            item.images,
            instructions=item.instructions,
            fresh=not step.carry,
        )
        if isinstance(sent, str):
            halt_step(step, sent)
        else:
            finish_step(step)  # with Run all, reruns for the next prompt

    if rejected:
        st.error(rejected, icon=":material/error:")

    if past:
        latest = past[-1]
        if latest.blind and not latest.voted:
            render_vote(latest, partial(vote_on, position=len(past) - 1))
            # The table, chart and exports name the models: they wait for the vote.
            st.caption("The round's summary and the export appear once you have voted.")
        else:
            if latest.blind:
                verdict = "it's a tie" if latest.winner == TIE else f"{literal(latest.winner)} wins"
                st.success(f"Vote recorded: {verdict}. Names revealed.", icon=":material/how_to_vote:")
            st.subheader("This round")
            render_summary(latest, prices)
            if len(past) > 1 and all(r.voted or not r.blind for r in past):
                st.subheader(f"Every round ({len(past)})")
                render_comparison_summary(past, prices)
            render_comparison_actions(store, past, prices)
            render_share_button(store, comparison_id(), "comparison")

    render_run_panel(settings, store, choice)
    render_editor(settings, store)
    render_leaderboard(leaderboard_votes(store))
    render_allowance(settings, store)
    problem = take_save_problem()
    if problem:
        st.warning(problem, icon=":material/database:")
    if choice.library_slot is not None:
        with choice.library_slot:  # filled last, so it lists this run's new comparison
            render_comparison_library(store, comparison_id())
    if presets_slot is not None and store.conversations() is not None:
        with presets_slot:
            render_compare_presets(store, settings)
    preload_gateway()  # the next round's requests need not wait for the client's imports


if __name__ == "__main__":  # Streamlit ran this file by itself, not app.py: go through its gate
    run_the_app_instead()
