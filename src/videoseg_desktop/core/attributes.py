"""Attributes of a label's objects: the schema (bool, choice, number, text; per object or per
frame) and the checks every value goes through, from the GUI, the CLI or an annotation file.

Values are plain JSON values: ``True``/``False``, a string (choice, text) or a float (number).
Everything here is pure; the store keeps specs and values, the exporters write them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from videoseg_desktop.core.errors import VideoSegError

MAX_NAME = 64
MAX_TEXT = 1000
MAX_CHOICES = 100
TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}

AttributeValueType = bool | str | float


class AttributeKind(str, Enum):
    BOOL = "bool"
    CHOICE = "choice"
    NUMBER = "number"
    TEXT = "text"


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a label's objects."""

    id: int
    label_id: int
    name: str
    kind: AttributeKind
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    per_frame: bool = False  # videos: a value per frame range (e.g. occluded on 30-45)
    order: int = 0
    author: str | None = None
    created_at: str | None = None

    def describe(self) -> str:
        text = self.kind.value
        if self.kind is AttributeKind.CHOICE:
            text += f" ({', '.join(self.choices)})"
        elif self.kind is AttributeKind.NUMBER and (
            self.min_value is not None or self.max_value is not None
        ):
            low = "" if self.min_value is None else f"{self.min_value:g}"
            high = "" if self.max_value is None else f"{self.max_value:g}"
            text += f" [{low}..{high}]"
        return text + (", per frame" if self.per_frame else "")

    def to_json(self) -> dict:
        """The schema entry written beside a category in exports (and read back on import)."""
        out: dict = {"name": self.name, "type": self.kind.value, "per_frame": self.per_frame}
        if self.kind is AttributeKind.CHOICE:
            out["choices"] = list(self.choices)
        if self.min_value is not None:
            out["min"] = self.min_value
        if self.max_value is not None:
            out["max"] = self.max_value
        return out


@dataclass(frozen=True)
class AttributeValue:
    """A value of one attribute on one object: for the whole object (``frames`` None) or on
    frames ``first..last`` inclusive (per-frame attributes)."""

    id: int
    object_id: int
    spec_id: int
    frames: tuple[int, int] | None
    value: AttributeValueType
    author: str | None = None
    updated_at: str | None = None

    def covers(self, frame: int) -> bool:
        return self.frames is None or self.frames[0] <= frame <= self.frames[1]


def check_name(name: object, what: str = "an attribute name") -> str:
    if not isinstance(name, str):
        raise VideoSegError(f"{what} must be text")
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable() or "=" in name:
        raise VideoSegError(
            f"{what} must be 1 to {MAX_NAME} printable characters without '=', not {name[:80]!r}"
        )
    return name


def check_spec(
    name: object,
    kind: object,
    choices: object = (),
    min_value: object = None,
    max_value: object = None,
) -> tuple[str, AttributeKind, tuple[str, ...], float | None, float | None]:
    """A schema entry's fields, checked (from the CLI, the GUI or an annotation file)."""
    name = check_name(name)
    try:
        kind = AttributeKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in AttributeKind)
        raise VideoSegError(f"attribute {name!r}: type must be one of {kinds}") from None
    choices = tuple(choices or ())
    if kind is AttributeKind.CHOICE:
        if not choices or len(choices) > MAX_CHOICES:
            raise VideoSegError(f"attribute {name!r}: a choice needs 1 to {MAX_CHOICES} values")
        choices = tuple(check_name(c, f"a choice of {name!r}") for c in choices)
        if len(set(choices)) != len(choices):
            raise VideoSegError(f"attribute {name!r}: a choice is listed twice")
    elif choices:
        raise VideoSegError(f"attribute {name!r}: only a choice attribute takes choices")
    bounds = []
    for bound in (min_value, max_value):
        if bound is None:
            bounds.append(None)
            continue
        if kind is not AttributeKind.NUMBER:
            raise VideoSegError(f"attribute {name!r}: only a number attribute takes a range")
        bounds.append(_finite(bound, f"attribute {name!r}: a range bound"))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise VideoSegError(f"attribute {name!r}: the minimum is above the maximum")
    return name, kind, choices, bounds[0], bounds[1]


def check_value(spec: AttributeSpec, value: object) -> AttributeValueType:
    """A value of ``spec``'s type (JSON as read from a file, or from the GUI), else an error."""
    where = f"attribute {spec.name!r}"
    if spec.kind is AttributeKind.BOOL:
        if not isinstance(value, bool):
            raise VideoSegError(f"{where} takes true or false, not {_show(value)}")
        return value
    if spec.kind is AttributeKind.NUMBER:
        number = _finite(value, where)
        if spec.min_value is not None and number < spec.min_value:
            raise VideoSegError(f"{where}: {number:g} is below the minimum {spec.min_value:g}")
        if spec.max_value is not None and number > spec.max_value:
            raise VideoSegError(f"{where}: {number:g} is above the maximum {spec.max_value:g}")
        return number
    if not isinstance(value, str):
        raise VideoSegError(f"{where} takes text, not {_show(value)}")
    if spec.kind is AttributeKind.CHOICE:
        if value not in spec.choices:
            raise VideoSegError(f"{where}: {value[:80]!r} is not one of {', '.join(spec.choices)}")
        return value
    if len(value) > MAX_TEXT or not all(c.isprintable() or c in "\n\t" for c in value):
        raise VideoSegError(f"{where}: text must be at most {MAX_TEXT} printable characters")
    return value


def parse_value(spec: AttributeSpec, text: str) -> AttributeValueType:
    """A value typed on the command line (``occluded=yes``, ``truncation=0.3``)."""
    if spec.kind is AttributeKind.BOOL:
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise VideoSegError(f"attribute {spec.name!r} takes true or false, not {text!r}")
    if spec.kind is AttributeKind.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise VideoSegError(f"attribute {spec.name!r} takes a number, not {text!r}") from None
        return check_value(spec, number)
    return check_value(spec, text)


def infer_kind(value: object) -> AttributeKind:
    """The type of an attribute met in a file without a schema."""
    if isinstance(value, bool):
        return AttributeKind.BOOL
    if isinstance(value, (int, float)):
        return AttributeKind.NUMBER
    if isinstance(value, str):
        return AttributeKind.TEXT
    raise VideoSegError(
        f"an attribute value must be true/false, a number or text, not {_show(value)}"
    )


def _finite(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise VideoSegError(f"{where} takes a number, not {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise VideoSegError(f"{where} takes a finite number")
    return number


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
