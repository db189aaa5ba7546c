"""Why a mask needs a reviewer's look: the flag rules, their thresholds, and model confidence.

Pure functions over plain per-mask facts (frame, area, bbox, score, source, accepted), so each
rule can be tested on a constructed track and the store can re-run them on any stretch of a
track after a change. A mask's flags depend only on itself, the object's state and its
immediate neighbours in frame order, which is what lets the store refresh a changed range
without re-reading the whole track.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import IntFlag

from videoseg_desktop.core.errors import VideoSegError

# Masks a model made while tracking (or found without a prompt): the drift, drop and gap rules
# judge only these; a person's clicked or edited mask is the reference, never the suspect.
TRACKED_SOURCES = frozenset({"propagated", "auto"})
# Masks whose score is the model's confidence about the mask shown (edits have no score).
SCORED_SOURCES = frozenset({"clicked", "propagated", "auto", "imported"})
AREA_FLOOR = 64  # pixels added to both areas before their ratio: tiny masks jitter


class Flag(IntFlag):
    AUTO = 1  # found by a model (or on a suggested object) and not accepted yet
    LOW_SCORE = 2  # the model's confidence is under the threshold
    SCORE_DROP = 4  # the confidence fell sharply from the neighbouring frame
    DRIFT = 8  # area or position jumps against the neighbouring frame
    GAP = 16  # the object disappears and reappears (both ends of the gap)
    CONFLICT = 32  # one side of a merge conflict


FLAG_NAMES = {
    Flag.AUTO: "auto",
    Flag.LOW_SCORE: "low-score",
    Flag.SCORE_DROP: "score-drop",
    Flag.DRIFT: "drift",
    Flag.GAP: "gap",
    Flag.CONFLICT: "conflict",
}
FLAG_TEXT = {
    Flag.AUTO: "automatic, not accepted yet",
    Flag.LOW_SCORE: "low confidence",
    Flag.SCORE_DROP: "confidence drops sharply",
    Flag.DRIFT: "area or position jumps (drift)",
    Flag.GAP: "disappears and reappears",
    Flag.CONFLICT: "merge conflict",
}


def flag_names(reasons: int) -> list[str]:
    """``reasons`` as names, most telling first (the order of ``Flag``)."""
    return [name for flag, name in FLAG_NAMES.items() if reasons & flag]


def confidence_from_logit(logit: float) -> float:
    """SAM 2's object score logit as a 0..1 confidence (its sigmoid: > 0.5 means "present")."""
    logit = float(logit)
    if math.isnan(logit):
        return 0.0
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    z = math.exp(logit)
    return z / (1.0 + z)


def clamp_score(score: float | None) -> float | None:
    """A model's score as stored: within 0..1 (SAM's IoU head can overshoot without sigmoid)."""
    if score is None:
        return None
    score = float(score)
    if math.isnan(score):
        return None
    return min(1.0, max(0.0, score))


@dataclass(frozen=True)
class ReviewThresholds:
    """Project settings ``review.<field>``; defaults chosen on SAM 2.1 tracks (ADR 0009)."""

    min_score: float = 0.75  # flag model masks whose confidence is below this
    score_drop: float = 0.25  # flag a drop of more than this from the neighbouring frame
    area_ratio: float = 1.5  # flag an area change by more than this factor in one frame
    shift: float = 0.5  # flag a centre move of more than this fraction of the box diagonal

    # (low, high) bounds of each field, inclusive; checked whenever settings are read.
    LIMITS = {
        "min_score": (0.0, 1.0),
        "score_drop": (0.0, 1.0),
        "area_ratio": (1.0, 1000.0),
        "shift": (0.0, 100.0),
    }

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], strict: bool = True) -> ReviewThresholds:
        """Read ``review.*`` keys (strings, untrusted). ``strict=False`` replaces a bad value by
        its default instead of raising (flag upkeep must never block an edit)."""
        values = {}
        for name in cls.field_names():
            raw = settings.get(f"review.{name}")
            if raw is None:
                continue
            try:
                values[name] = check_threshold(name, raw)
            except VideoSegError:
                if strict:
                    raise
        return cls(**values)

    def signature(self) -> str:
        """What the stored flags were computed with (they are recomputed when it changes)."""
        return f"rules-1;{self.min_score!r};{self.score_drop!r};{self.area_ratio!r};{self.shift!r}"


def check_threshold(name: str, raw: object) -> float:
    if name not in ReviewThresholds.LIMITS:
        raise VideoSegError(
            f"unknown review setting {name!r}; use one of {', '.join(ReviewThresholds.field_names())}"
        )
    low, high = ReviewThresholds.LIMITS[name]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not low <= value <= high:  # also refuses NaN and infinities
        raise VideoSegError(
            f"review setting {name} is {str(raw)[:40]!r}; it must be a number from {low:g} to "
            f"{high:g} (set it with `videoseg review-settings DIR {name}=VALUE`)"
        )
    return value


@dataclass(frozen=True)
class MaskFacts:
    """What the rules read about one stored mask (no pixels)."""

    frame: int
    area: int
    bbox: tuple[float, float, float, float]  # x, y, w, h
    score: float | None
    source: str
    accepted: bool = False


@dataclass(frozen=True)
class FrameFlag:
    object_id: int
    frame: int
    reasons: int  # Flag bits
    score: float | None
    detail: str

    @property
    def names(self) -> list[str]:
        return flag_names(self.reasons)


def flag_track(
    facts: Sequence[MaskFacts], object_state: str, thresholds: ReviewThresholds
) -> dict[int, tuple[int, str]]:
    """Flags of every mask in ``facts`` (one object's masks, sorted by frame): frame ->
    (Flag bits, a short reason). Frames without a flag are left out."""
    reasons: dict[int, int] = {}
    details: dict[int, list[str]] = {}

    def add(f: MaskFacts, flag: Flag, text: str) -> None:
        if f.accepted:
            return
        reasons[f.frame] = reasons.get(f.frame, 0) | flag
        details.setdefault(f.frame, []).append(text)

    for i, f in enumerate(facts):
        if f.source == "auto" or object_state == "suggested":
            add(f, Flag.AUTO, "automatic, not accepted")
        if object_state == "conflict":
            add(f, Flag.CONFLICT, "merge conflict")
        if f.score is not None and f.source in SCORED_SOURCES and f.score < thresholds.min_score:
            add(f, Flag.LOW_SCORE, f"confidence {f.score:.2f}")
        if i == 0:
            continue
        prev = facts[i - 1]
        if f.frame - prev.frame > 1:
            if prev.source in TRACKED_SOURCES and f.source in TRACKED_SOURCES:
                gap = f"absent on frames {prev.frame + 1}-{f.frame - 1}"
                add(prev, Flag.GAP, f"disappears after this frame ({gap})")
                add(f, Flag.GAP, f"reappears ({gap})")
            continue
        _pair_rules(prev, f, thresholds, add)
    return {frame: (bits, "; ".join(details[frame])) for frame, bits in reasons.items()}


def _pair_rules(prev: MaskFacts, cur: MaskFacts, th: ReviewThresholds, add) -> None:
    """Rules on two masks of consecutive frames; the tracked one(s) of the pair get the flag."""
    suspects = [f for f in (prev, cur) if f.source in TRACKED_SOURCES]
    if not suspects:
        return
    big, small = max(prev.area, cur.area), min(prev.area, cur.area)
    ratio = (big + AREA_FLOOR) / (small + AREA_FLOOR)
    if ratio > th.area_ratio:
        for f in suspects:
            other = prev if f is cur else cur
            add(f, Flag.DRIFT, f"area x{f.area / max(other.area, 1):.2f} vs frame {other.frame}")
    moved = _centre_shift(prev.bbox, cur.bbox)
    if moved > th.shift:
        for f in suspects:
            other = prev if f is cur else cur
            add(f, Flag.DRIFT, f"moves {moved:.2f} box diagonals vs frame {other.frame}")
    if prev.score is not None and cur.score is not None:
        low, high = (cur, prev) if cur.score < prev.score else (prev, cur)
        if high.score - low.score > th.score_drop and low.source in TRACKED_SOURCES:
            add(low, Flag.SCORE_DROP, f"confidence {high.score:.2f} -> {low.score:.2f}")


def _centre_shift(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Distance between the box centres in units of their mean diagonal."""
    ax, ay = a[0] + a[2] / 2, a[1] + a[3] / 2
    bx, by = b[0] + b[2] / 2, b[1] + b[3] / 2
    diagonal = (math.hypot(a[2], a[3]) + math.hypot(b[2], b[3])) / 2
    return math.hypot(ax - bx, ay - by) / max(diagonal, 1.0)


def parse_frame_range(text: str, frame_count: int | None = None) -> tuple[int, int]:
    """``"30-45"`` or ``"7"`` -> (first, last), inclusive, checked against the media's frames."""
    parts = text.strip().split("-")
    try:
        if len(parts) == 1:
            first = last = int(parts[0])
        elif len(parts) == 2:
            first, last = int(parts[0]), int(parts[1])
        else:
            raise ValueError
    except ValueError:
        raise VideoSegError(f"frames must look like A-B or N, not {text!r}") from None
    if first < 0 or last < first:
        raise VideoSegError(f"frames {text!r}: need 0 <= A <= B")
    if frame_count is not None and last >= frame_count:
        raise VideoSegError(
            f"frames {text!r} are out of range: the media has frames 0..{frame_count - 1}"
        )
    return first, last
