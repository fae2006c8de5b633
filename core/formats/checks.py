"""What every imported document is checked for, whatever its syntax: the error that says so,
UTF-8 text, text a database can store, and numbers in range. Loads neither pydantic nor YAML, so
the error can be imported anywhere cheaply."""

from __future__ import annotations

import math
import re

MAX_DEPTH = 8  # the deepest file nests 6 levels: file, rounds, round, prompt, images, image
MAX_INT_DIGITS = 18  # every count in a file fits; Python refuses to parse past 4,300 digits anyway
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


class ImportRejected(ValueError):
    """The file cannot be imported; the message says what is wrong, where, and what to do."""


def decode(raw: bytes) -> str:
    """The file as text (a UTF-8 byte order mark is dropped), or ImportRejected saying where
    the first byte that is not UTF-8 is."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        at = error.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)  # the codec counts after a BOM
        line, column = raw.count(b"\n", 0, at) + 1, at - (raw.rfind(b"\n", 0, at) + 1) + 1
        raise ImportRejected(
            f"line {line}, byte {column}: the file is not UTF-8 text (a byte that is not valid "
            "UTF-8, or an encoded lone surrogate). Pick a file exported from this app."
        ) from None


def position(text: str, index: int) -> tuple[int, int]:
    """The line and column (both from 1) of `text[index]`."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def check_text(text: str, where: str) -> None:
    """Refuse lone surrogates (\\ud800 alone is valid JSON, but not text) and NUL characters."""
    problem = unstorable(text)
    if problem:
        raise ImportRejected(f"{where}: {problem}")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored (a lone surrogate or a NUL character), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    char = found.group(0)
    what = "a NUL character (\\u0000)" if char == "\x00" else f"a lone surrogate (\\u{ord(char):04x})"
    return (
        f"contains {what} at character {found.start() + 1}, which is not text that can be stored. "
        "Remove it from the file, or export it again from this app."
    )


def too_many_digits(literal: str) -> str | None:
    """Why a whole number written as `literal` is refused, or None when it is short enough."""
    digits = literal.lstrip("+-").replace("_", "")  # YAML allows 1_000
    if len(digits) <= MAX_INT_DIGITS:
        return None
    return (
        f"{literal[:40]}… has more than {MAX_INT_DIGITS} digits; no number in a file this app writes "
        "is that long. Check the file, or export it again from this app."
    )


def not_finite(literal: str, value: float) -> str | None:
    """Why a number is refused when it is not finite (NaN, infinity, or too large), else None."""
    if math.isfinite(value):
        return None
    return (
        f"{literal[:40]} is not a finite number (too large, infinite or not a number); every number "
        "in a file this app writes is finite. Check the file, or export it again from this app."
    )


def repeated_key(key: str, where: str, at: str = "") -> str:
    """The refusal of a key that appears twice in one object (`at`: where in the text, when known):
    a parser would silently keep the last value."""
    place = f" ({at})" if at else ""
    return (
        f'{where or "the file"}: the key "{key[:100]}" appears twice{place}, so which value is meant '
        "is unclear. Keep one of them."
    )
