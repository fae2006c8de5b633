"""CPU to import a 1 MB prompt set, YAML and JSON, through the app's strict import: the set as
the app exports it (100 prompts of multi-line text), and a set of the same size made of many small
values (an extra key per prompt holding a long list of short words, which the import ignores
after reading it: the shape that costs a YAML reader the most per byte).

    .venv/bin/python -m bench.import_cpu [--mb 1] [--runs 3]

Each figure is the least CPU time (time.process_time) over the runs, for one call of
`import_prompt_set` on bytes already in memory. Run from a checkout of an older commit (copy this
file into its bench/), it measures that commit's import the same way."""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from functools import partial

import yaml

try:
    from core.formats.prompt_set import export_prompt_set, import_prompt_set
except ImportError:  # the layout before core/formats, so the same file measures an older commit
    from core.prompt_sets import export_prompt_set, import_prompt_set  # type: ignore[attr-defined,no-redef]
from core.prompt_sets import PromptItem, PromptSet

PROMPTS = 100  # the most a set holds
HEAD = {"format": "gptproto-chat.prompt-set", "version": 1, "name": "Bench"}


def exported_set(size: int) -> PromptSet:
    """100 prompts of lines of prose, `size` bytes of text in all."""
    line = "The quick brown fox jumps over the lazy dog, then asks: what is 2 + 2?\n"
    text = line * max(1, size // PROMPTS // len(line))
    return PromptSet("Bench", tuple(PromptItem(f"{n}. {text}", "Answer briefly.") for n in range(PROMPTS)))


def small_values(size: int) -> dict[str, object]:
    """100 prompts, each with a list of short words under a key the import ignores."""
    count = max(1, size // PROMPTS // 10)  # a word is about 10 bytes as a YAML list item: "  - beta\n"
    words = ["alpha", "beta", "gamma", "delta"] * (count // 4)
    # A list of its own per prompt: one shared list would be written once, with YAML aliases.
    return {**HEAD, "prompts": [{"text": f"Prompt {n}", "notes": list(words)} for n in range(PROMPTS)]}


def cpu(call: Callable[[], object], runs: int) -> tuple[float, str]:
    """The least CPU seconds over `runs` calls, and what the last call gave."""
    best, outcome = float("inf"), ""
    for _ in range(runs):
        started = time.process_time()
        try:
            result = call()
            outcome = f"imported {len(getattr(result, 'items', ()))} prompts"
        except ValueError as error:  # a refusal, or before the fix a crash of the YAML reader
            outcome = f"refused: {str(error)[:60]}"
        best = min(best, time.process_time() - started)
    return best, outcome


def documents(size: int) -> list[tuple[str, str, bytes]]:
    shown = exported_set(size)
    small = small_values(size)
    return [
        ("exported set", "set.yaml", export_prompt_set(shown, "yaml").encode()),
        ("exported set", "set.json", export_prompt_set(shown, "json").encode()),
        ("many small values", "set.yaml", yaml.safe_dump(small, sort_keys=False, width=100).encode()),
        ("many small values", "set.json", json.dumps(small, indent=1).encode()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="size of each document in MB")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    print(f"python {platform.python_version()}, PyYAML {yaml.__version__} (libyaml: {yaml.__with_libyaml__})")
    print(f"{'document':<18} {'file':<9} {'MB':>5} {'CPU s':>7} {'CPU s/MB':>9}  outcome")
    for label, name, raw in documents(size):
        seconds, outcome = cpu(partial(import_prompt_set, raw, name), args.runs)
        mb = len(raw) / (1024 * 1024)
        print(f"{label:<18} {name:<9} {mb:>5.2f} {seconds:>7.2f} {seconds / mb:>9.2f}  {outcome}")
    print(f"\nreproduce: .venv/bin/python -m bench.import_cpu --mb {args.mb:g} --runs {args.runs}")


if __name__ == "__main__":
    main()
