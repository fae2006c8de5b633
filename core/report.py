"""A comparison as a self-contained Markdown or HTML report for stakeholders."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from core.compare import TIE, CompareRound, comparison_summary, summary_rows
from core.documents import chip_label
from core.pricing import Prices, format_price


def _cell(value: object) -> str:
    return "–" if value is None or value == "" else str(value)


def report_markdown(title: str, rounds: Sequence[CompareRound], prices: Prices) -> str:
    """Every prompt, every answer and every metric, as Markdown."""
    lines = [f"# {title}", ""]
    for number, round_ in enumerate(rounds, start=1):
        rows = summary_rows(round_.columns, prices, round_.winner)
        lines += [f"## Round {number}", "", "**Prompt**", "", _quote(round_.prompt), ""]
        lines += [f"*[file: {chip_label(document)}]*" for document in round_.prompt_message.documents]
        lines += [f"*[image: {image.url or image.name}]*" for image in round_.prompt_message.images]
        lines += [f"*{note}*" for note in _round_notes(round_)] + [""]
        if rows:
            lines += [*_markdown_table(rows), ""]
        for column in round_.columns:
            lines += [f"### {column.name}", ""]
            if column.answer.error is not None:
                lines += [f"> **{column.answer.error.title}**: {column.answer.error.hint}", ""]
            lines += [column.answer.text or "_(no text)_", ""]
    if len(rounds) > 1:
        lines += ["## Summary (every round)", "", *_markdown_table(comparison_summary(rounds, prices)), ""]
    lines.append(f"_{_prices_note(rounds, prices)}_")
    return "\n".join(lines).rstrip() + "\n"


def report_html(title: str, rounds: Sequence[CompareRound], prices: Prices) -> str:
    """The same report as one HTML file with inline styles; answers are escaped, not rendered."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        ".answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:1em}"
        "pre{white-space:pre-wrap;background:#f6f6f8;padding:.8em;border-radius:6px}</style>",
        f"</head><body><h1>{html.escape(title)}</h1>",
    ]
    for number, round_ in enumerate(rounds, start=1):
        rows = summary_rows(round_.columns, prices, round_.winner)
        parts.append(f"<h2>Round {number}</h2><p><b>Prompt</b></p><pre>{html.escape(round_.prompt)}</pre>")
        parts += [
            f"<p><i>[file: {html.escape(chip_label(document))}]</i></p>"
            for document in round_.prompt_message.documents
        ]
        parts += [
            f"<p><i>[image: {html.escape(image.url or image.name)}]</i></p>"
            for image in round_.prompt_message.images
        ]
        parts += [f"<p><i>{html.escape(note)}</i></p>" for note in _round_notes(round_)]
        if rows:
            parts.append(_html_table(rows))
        parts.append("<div class='answers'>")
        for column in round_.columns:
            error = column.answer.error
            note = f"<p><b>{html.escape(error.title)}</b>: {html.escape(error.hint)}</p>" if error else ""
            parts.append(
                f"<div><h3>{html.escape(column.name)}</h3>{note}<pre>{html.escape(column.answer.text)}</pre></div>"
            )
        parts.append("</div>")
    if len(rounds) > 1:
        parts += ["<h2>Summary (every round)</h2>", _html_table(comparison_summary(rounds, prices))]
    parts.append(f"<p><i>{html.escape(_prices_note(rounds, prices))}</i></p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _markdown_table(rows: Sequence[Mapping[str, object]]) -> list[str]:
    headers = list(rows[0]) if rows else []
    return [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
        *("| " + " | ".join(_cell(row[h]) for h in headers) + " |" for row in rows),
    ]


def _html_table(rows: Sequence[Mapping[str, object]]) -> str:
    headers = list(rows[0]) if rows else []
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row[h]))}</td>" for h in headers) + "</tr>" for row in rows
    )
    return f"<table>{head}{body}</table>"


def _round_notes(round_: CompareRound) -> list[str]:
    """The round's own instructions and its blind verdict, when it has them."""
    notes = []
    if round_.params is not None and round_.params.instructions.strip():
        notes.append(f"Instructions: {round_.params.instructions.strip()}")
    if round_.blind and round_.winner is not None:
        verdict = "a tie" if round_.winner == TIE else f"{round_.winner} wins"
        notes.append(f"Blind vote: {verdict}")
    return notes


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def _prices_note(rounds: Sequence[CompareRound], prices: Prices) -> str:
    """Which prices the cost estimates used, model by model."""
    models = dict.fromkeys(column.model for round_ in rounds for column in round_.columns)
    used = [
        f"{model} {format_price(*prices[model])}" if model in prices else f"{model} no price set"
        for model in models
    ]
    return (
        "Costs are estimates, not a bill, from the configured prices "
        f"(USD per million input/output tokens): {'; '.join(used)}."
    )
