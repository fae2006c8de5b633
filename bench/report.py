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

TARGETS = {
    "S1.overhead_ms": 50.0,
    "S2.lag_ms": 150.0,
    "S2.bytes_ratio": 3.0,
    "S3.paint_s": 1.5,
    "S4.slowdown": 1.5,
    "S5.mb_per_session": 3.0,
    "S5.recovery": 1.2,
    "S6.health_s": 3.0,
    "S6.paint_s": 2.0,
}


def make_row(
    scenario: str,
    metric: str,
    unit: str,
    floor: float | None,
    reference: float | None,
    ours: float | None,
    target: str = "",
    passed: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One line of the table, with ours/reference and ours-floor worked out."""
    return {
        "scenario": scenario,
        "metric": metric,
        "unit": unit,
        "floor": floor,
        "reference": reference,
        "ours": ours,
        "ours_over_reference": ours / reference if ours is not None and reference else None,
        "ours_minus_floor": ours - floor if ours is not None and floor is not None else None,
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
    header = ["scen", "metric", "unit", "floor", "reference", "ours", "ours/ref", "ours-floor", "target", ""]
    lines = [header]
    for row in rows:
        verdict = "" if row["pass"] is None else ("PASS" if row["pass"] else "FAIL")
        lines.append(
            [
                row["scenario"],
                row["metric"] + (f" [{row['note']}]" if row["note"] else ""),
                row["unit"],
                _cell(row["floor"]),
                _cell(row["reference"], row["unit"]),
                _cell(row["ours"], row["unit"]),
                _cell(row["ours_over_reference"]),
                _cell(row["ours_minus_floor"]),
                row["target"],
                verdict,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = []
    for n, line in enumerate(lines):
        cells = [
            c.ljust(w) if i < 3 or i >= 8 else c.rjust(w)
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
