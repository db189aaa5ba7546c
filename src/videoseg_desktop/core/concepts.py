"""Concept prompts (SAM 3: a phrase and/or example boxes) and what a concept search finds.

Plain data handed between layers: the CLI and the GUI build a ``ConceptPrompt``, the inference
sessions answer with ``FoundInstance``s (one per instance, per frame for videos), the store
turns them into suggested objects. No torch here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle, encode_rle
from videoseg_desktop.core.prompts import Box

MAX_CONCEPT_CHARS = 200  # the text encoder reads 32 tokens; longer phrases are refused


@dataclass(frozen=True)
class Exemplar:
    """An example box on one frame of one media item: "more like this" (or "not this")."""

    media_id: int
    frame: int
    box: Box  # source pixels
    positive: bool = True


@dataclass(frozen=True)
class ConceptPrompt:
    """What to look for: a phrase, example boxes, or both; found instances get label ``label``."""

    text: str | None = None
    label: str | None = None  # None: the text
    exemplars: tuple[Exemplar, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        text = (self.text or "").strip() or None
        object.__setattr__(self, "text", text)
        if text is not None and len(text) > MAX_CONCEPT_CHARS:
            raise VideoSegError(
                f"a concept is a short phrase (at most {MAX_CONCEPT_CHARS} characters)"
            )
        if text is None and not self.exemplars:
            raise VideoSegError("a concept needs a text, an example box, or both")
        if self.label is not None and not self.label.strip():
            raise VideoSegError("a concept's label cannot be empty")

    @property
    def label_name(self) -> str:
        if self.label:
            return self.label.strip()
        if self.text:
            return self.text
        raise VideoSegError("a concept given only by example boxes needs a label (TEXT=LABEL)")

    def exemplars_on(self, media_id: int, frame: int | None = None) -> tuple[Exemplar, ...]:
        return tuple(
            e
            for e in self.exemplars
            if e.media_id == media_id and (frame is None or e.frame == frame)
        )

    def for_media(self, media_id: int) -> ConceptPrompt | None:
        """The prompt as it applies to one media item: exemplars count only where drawn.

        SAM 3 reads an example box with the features of its own image, so a box drawn on one
        item says nothing about another; an item without boxes is searched by the text alone,
        and not at all when there is no text.
        """
        mine = self.exemplars_on(media_id)
        if self.text is None and not mine:
            return None
        return ConceptPrompt(self.text, self.label, mine)

    def key(self) -> str:
        """A stable string naming this prompt (run records: what was searched for)."""
        data = {
            "text": self.text,
            "label": self.label_name,
            "exemplars": [
                [
                    e.media_id,
                    e.frame,
                    _r(e.box.x0),
                    _r(e.box.y0),
                    _r(e.box.x1),
                    _r(e.box.y1),
                    e.positive,
                ]
                for e in sorted(
                    self.exemplars, key=lambda e: (e.media_id, e.frame, e.box.x0, e.box.y0)
                )
            ],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _r(value: float) -> float:
    return round(float(value), 2)


@dataclass(frozen=True)
class FoundInstance:
    """One instance of a concept on one frame, as the model found it (after our clean-up)."""

    rle: Rle
    score: float  # 0..1: concept score (images) or tracker score on this frame (videos)
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the mask, source pixels
    area: int

    @classmethod
    def from_mask(cls, mask: np.ndarray, score: float) -> FoundInstance:
        """From a non-empty boolean mask; the score is clamped to 0..1."""
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if len(rows) == 0:
            raise ValueError("an instance needs a non-empty mask")
        box = (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))
        return cls(encode_rle(mask), min(max(float(score), 0.0), 1.0), box, int(mask.sum()))


@dataclass(frozen=True)
class ConceptFrameResult:
    """Every instance found on one frame; ``instances`` is keyed by the session's track id."""

    frame: int
    instances: dict[int, FoundInstance]
    detection_scores: dict[int, float] = field(default_factory=dict)  # score when first found
    concepts: dict[int, str] = field(default_factory=dict)  # track id -> the text that found it
