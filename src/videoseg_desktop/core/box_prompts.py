"""Detector boxes to turn into masks: plain data read from COCO, YOLO or MOT files.

The readers (``export/box_readers.py``) produce these, the model code (``inference/box_masks``)
answers with ``FoundInstance``s (core/concepts), and the store writes them as suggested objects with the rules of
``store/prelabel.py``. No torch here, so a remote executor can ship them as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from videoseg_desktop.core.prompts import Box


@dataclass(frozen=True)
class DetectedBox:
    """One detector box on one image (or one video frame), in source pixels."""

    label: str
    box: Box  # normalised, inside the image
    score: float | None = None  # the detector's confidence, when the file gives one
    frame: int = 0


@dataclass(frozen=True)
class BoxTrack:
    """One track of a MOT file: the boxes of one object on the frames where it was seen."""

    track_id: int
    label: str
    boxes: tuple[DetectedBox, ...]  # ordered by frame, at most one per frame

    @property
    def first(self) -> int:
        return self.boxes[0].frame

    @property
    def last(self) -> int:
        return self.boxes[-1].frame

    def key_boxes(self, every: int) -> tuple[DetectedBox, ...]:
        """The boxes that prompt SAM 2.1: the first, the last and one each ``every`` frames;
        tracking fills the frames between them."""
        chosen, next_frame = [], self.first
        for b in self.boxes:
            if b.frame >= next_frame or b is self.boxes[-1]:
                chosen.append(b)
                next_frame = b.frame + max(1, every)
        return tuple(chosen)

    def score(self) -> float | None:
        scores = [b.score for b in self.boxes if b.score is not None]
        return sum(scores) / len(scores) if scores else None


@dataclass(frozen=True)
class BoxSource:
    """What a boxes-to-masks run stores for one label; stands where a ``ConceptPrompt`` stands
    in a pre-labelling job (``label_name`` and ``key`` are all the writer reads)."""

    label: str
    file: str  # the boxes file's name and content hash: a new file is a new run
    min_score: float | None = None
    text: None = None
    exemplars: tuple = field(default_factory=tuple)

    @property
    def label_name(self) -> str:
        return self.label

    def key(self) -> str:
        data = {"boxes": self.file, "label": self.label, "min_score": self.min_score}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))
