"""Reading scores, attributes and attribute schemas from COCO / YouTube-VIS entries.

Everything is untrusted: types, sizes and ranges are checked here and a bad entry is an
ExportError naming it; whether a value fits the project's schema is checked on import.
"""

from __future__ import annotations

import math
from pathlib import Path

from videoseg_desktop.core.attributes import check_name, check_spec
from videoseg_desktop.core.errors import ExportError, VideoSegError
from videoseg_desktop.core.text import plural

MAX_ATTRIBUTES = 100  # per annotation (and per category schema)
MAX_TEXT = 1000


def read_score(entry: dict, where: str, key: str = "score") -> float | None:
    if key not in entry or entry[key] is None:
        return None
    return _score(entry[key], f"{where}: {key!r}")


def read_scores(entry: dict, length: int, where: str) -> dict[int, float]:
    """YouTube-VIS ``scores``: one per frame (null where absent), aligned with segmentations."""
    scores = entry.get("scores")
    if scores is None:
        return {}
    if not isinstance(scores, list) or len(scores) != length:
        raise ExportError(
            f"{where}: 'scores' must be a list of {plural(length, 'value')} (null allowed)"
        )
    return {
        frame: _score(value, f"{where}: score of frame {frame}")
        for frame, value in enumerate(scores)
        if value is not None
    }


def _score(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExportError(f"{where} must be a number")
    value = float(value)
    if not (0.0 <= value <= 1.0):  # NaN fails too
        raise ExportError(f"{where} must be within 0 and 1, not {value}")
    return value


def read_attributes(entry: dict, where: str, length: int | None = None) -> dict | None:
    """An annotation's ``attributes``: name -> true/false, number or text; with ``length``
    (YouTube-VIS) a value may also be a list of ``length`` such values or nulls (per frame)."""
    attributes = entry.get("attributes")
    if attributes is None:
        return None
    if not isinstance(attributes, dict) or len(attributes) > MAX_ATTRIBUTES:
        raise ExportError(f"{where}: 'attributes' must be an object of at most {MAX_ATTRIBUTES}")
    out = {}
    for name, value in attributes.items():
        try:
            name = check_name(name)
        except VideoSegError as exc:
            raise ExportError(f"{where}: {exc}") from None
        if isinstance(value, list):
            if length is None or len(value) != length:
                raise ExportError(
                    f"{where}: attribute {name!r} is a list"
                    + (
                        ""
                        if length is None
                        else f" of {plural(len(value), 'value')} for {plural(length, 'frame')}"
                    )
                )
            out[name] = [None if v is None else _plain(v, name, where) for v in value]
        else:
            out[name] = _plain(value, name, where)
    return out or None


def _plain(value: object, name: str, where: str) -> object:
    if isinstance(value, bool) or isinstance(value, str) and len(value) <= MAX_TEXT:
        return value
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    raise ExportError(
        f"{where}: attribute {name!r} must be true/false, a finite number or text "
        f"(at most {MAX_TEXT} characters)"
    )


def read_attribute_specs(data: dict, names: dict[int, str], source: Path) -> dict[str, list[tuple]]:
    """``attribute_specs`` beside categories (what our exports write), checked; by category name."""
    out: dict[str, list[tuple]] = {}
    for n, cat in enumerate(data.get("categories") or []):
        specs = cat.get("attribute_specs") if isinstance(cat, dict) else None
        if specs is None:
            continue
        where = f"{source.name}: category #{n + 1}"
        if not isinstance(specs, list) or len(specs) > MAX_ATTRIBUTES:
            raise ExportError(
                f"{where}: 'attribute_specs' must be a list of at most {MAX_ATTRIBUTES}"
            )
        checked = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise ExportError(f"{where}: each attribute spec must be an object")
            per_frame = spec.get("per_frame", False)
            choices = spec.get("choices") or ()
            if not isinstance(per_frame, bool) or not isinstance(choices, (list, tuple)):
                raise ExportError(f"{where}: attribute spec {spec.get('name')!r} is malformed")
            try:
                fields = check_spec(
                    spec.get("name"), spec.get("type"), choices, spec.get("min"), spec.get("max")
                )
            except VideoSegError as exc:
                raise ExportError(f"{where}: {exc}") from None
            checked.append((*fields, per_frame))
        out[names[cat["id"]]] = checked
    return out
