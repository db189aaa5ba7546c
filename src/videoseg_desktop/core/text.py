"""User-facing wording shared by the window and the CLI: counts and sizes said one way.

tests/test_messages.py keeps "(s)" plurals and "1 files" out of the sources: a count goes through
``plural``, a byte size through ``size_text``.
"""

from __future__ import annotations

IRREGULAR = {"was": "were", "is": "are", "has": "have", "vertex": "vertices"}


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 video"``, ``"2 videos"``, ``"0 boxes"``; ``plural_form`` where adding s is wrong."""
    return f"{count} {noun(count, singular, plural_form)}"


def noun(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word alone, for phrases where the number sits elsewhere."""
    if count == 1:
        return singular
    if plural_form is not None:
        return plural_form
    if singular in IRREGULAR:
        return IRREGULAR[singular]
    if singular.endswith(("s", "x", "ch", "sh")):
        return singular + "es"
    if singular.endswith("y") and singular[-2:-1] not in tuple("aeiou"):
        return singular[:-1] + "ies"
    return singular + "s"


def size_text(size_bytes: float) -> str:
    """A byte count in binary units, as both the window and the CLI show it: ``148.8 MiB``."""
    value = float(size_bytes)
    if abs(value) < 1024:
        return f"{int(value)} bytes"
    if abs(value) < 2**20:
        return f"{value / 1024:.1f} KiB"
    if abs(value) < 10 * 2**30:  # model files (150 MiB to 3.3 GiB) compare in one unit
        return f"{value / 2**20:.1f} MiB"
    return f"{value / 2**30:.1f} GiB"
