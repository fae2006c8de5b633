"""The benchmark's output: targets, one row per figure, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import openai
import streamlit

from devtools.browser import CHROMIUM

# Issue 15's targets, all measured from the key press on a 2-core machine (medians).
TARGETS = {
    "first_over_floor_ms": 20.0,  # first word, after the floor's first word
    "final_over_floor_ms": 50.0,  # last word, after the floor's last chunk
    "bytes_ratio": 2.0,  # websocket bytes per answer byte
    "S3.paint_s": 1.5,
    "S4.slowdown": 1.25,  # median of 20 concurrent sessions over one alone
    "S5.mb_per_session": 3.0,
    "S5.recovery": 1.2,
    "S6.health_s": 3.0,
    "S6.paint_s": 2.0,
    # The peers issue: bytes per answer byte at 1,000 and 8,000 words, and server CPU per
    # 2,000-word answer against the baseline's.
    "S8.bytes_ratio_1k": 1.5,
    "S8.bytes_ratio_8k": 1.3,
    "S8.cpu_vs_main": 0.5,
}
COLUMNS = {
    "floor": "floor",
    "reference": "reference",
    "ours": "ours serve.py",
    "ours_run": "ours st-run",
    "main": "main serve.py",  # the baseline checkout (--baseline), as deployed
    "gradio": "gradio",
    "chainlit": "chainlit",
}


def make_row(
    scenario: str,
    metric: str,
    unit: str,
    values: dict[str, float | None],
    target: str = "",
    passed: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One line of the table: a figure for some of the contenders (COLUMNS' keys)."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"no column for {sorted(unknown)}")
    return {
        "scenario": scenario,
        "metric": metric,
        "unit": unit,
        "values": values,
        "target": target,
        "pass": passed,
        "note": note,
    }


def _cell(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "ok":
        return "yes" if value else "NO"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table with PASS/FAIL against each target."""
    header = ["scen", "metric", "unit", *COLUMNS.values(), "target", ""]
    lines = [header]
    for row in rows:
        verdict = "" if row["pass"] is None else ("PASS" if row["pass"] else "FAIL")
        cells = [_cell(row["values"].get(name), row["unit"]) for name in COLUMNS]
        metric = row["metric"] + (f" [{row['note']}]" if row["note"] else "")
        lines.append([row["scenario"], metric, row["unit"], *cells, row["target"], verdict])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numbers = range(3, 3 + len(COLUMNS))
    rendered = []
    for n, line in enumerate(lines):
        cells = [
            c.rjust(w) if i in numbers else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        rendered.append("  ".join(cells).rstrip())
        if n == 0:
            rendered.append("  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "streamlit": streamlit.__version__,
        "openai": openai.__version__,
        "chromium": CHROMIUM,
        "loadavg": os.getloadavg(),
    }


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Every sample and the settings, for reading after the table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
