"""LaTeX in answers: every written form reaches the renderer as dollars; prices and code stay."""

from __future__ import annotations

import pytest

from core.math_markdown import math_markdown


@pytest.mark.parametrize(
    ("written", "rendered"),
    [
        (r"Euler: \(e^{i\pi}+1=0\).", r"Euler: $e^{i\pi}+1=0$."),
        (r"Inline \[ a^2 \] display.", r"Inline $$a^2$$ display."),
        ("Area:\n\\[\n\\pi r^2\n\\]\nDone.", "Area:\n$$\n\\pi r^2\n$$\nDone."),
        ("$x^2$ and $$y_1$$", "$x^2$ and $$y_1$$"),
        ("It costs $5 and $10.", "It costs \\$5 and \\$10."),
        ("$5, or $x$ here", "\\$5, or $x$ here"),
        ("between $ spaces $", "between \\$ spaces \\$"),
        ("$3$4", "\\$3\\$4"),  # a digit right after the closing dollar: a price, not math
        ("an unclosed $$ pair", "an unclosed \\$\\$ pair"),
        ("already \\$5", "already \\$5"),
        (r"unclosed \( stays", r"unclosed \( stays"),
    ],
)
def test_math_forms_and_prices(written, rendered):
    assert math_markdown(written) == rendered


def test_code_spans_and_blocks_are_left_as_written():
    code = "Run `echo $HOME` or ``a ` $b$``\n\n```sh\nprice=$5 \\(x\\)\n```\n\n    $indented$ \\[y\\]\n\n"
    assert math_markdown(code + "but $z$ \\(w\\)") == code + "but $z$ $w$"


def test_math_never_runs_across_a_blank_line():
    assert math_markdown("costs $5\n\nand x$") == "costs \\$5\n\nand x\\$"


def test_text_without_math_is_returned_unchanged():
    text = "Plain *markdown* with `code` and no formulas."
    assert math_markdown(text) is text
