"""Rows of the project database as plain dataclasses, handed between layers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from videoseg_desktop.core.masks import Rle


class MediaKind(str, Enum):
    IMAGE = "image"
    VIDEO = "video"


class MaskSource(str, Enum):
    CLICKED = "clicked"
    PROPAGATED = "propagated"
    EDITED = "edited"
    IMPORTED = "imported"
    AUTO = "auto"  # found by the model without a person's prompt (concept pre-labels)


class MediaStatus(str, Enum):
    """Where a media item stands in the annotate-then-review workflow."""

    TODO = "todo"
    IN_PROGRESS = "in-progress"  # set by the first mask a person makes on it
    DONE = "done"  # the annotator's word: ready for review
    REVIEWED = "reviewed"  # the reviewer's word: passed
    NEEDS_CHANGES = "needs-changes"  # the reviewer's word: back to the annotator (with a comment)


class ObjectState(str, Enum):
    NORMAL = "normal"
    SUGGESTED = "suggested"  # a pre-label awaiting a person's accept or reject
    CONFLICT = "conflict"  # one side of a merge conflict, kept for review


@dataclass(frozen=True)
class Label:
    id: int
    name: str
    color: str  # "#RRGGBB"
    order: int


@dataclass(frozen=True)
class MediaItem:
    id: int
    kind: MediaKind
    path: str  # relative to the project root, or absolute for linked files
    original_name: str
    byte_size: int
    sha256: str
    width: int
    height: int
    frame_count: int
    fps: float | None
    duration: float | None
    imported_at: str
    annotated: bool
    linked: bool = False
    status: MediaStatus = MediaStatus.TODO
    status_comment: str | None = None  # the reviewer's note with needs-changes (or any state)
    status_by: str | None = None
    status_at: str | None = None


@dataclass(frozen=True)
class ObjectRecord:
    id: int
    media_id: int
    label_id: int | None
    name: str
    created_at: str
    state: ObjectState = ObjectState.NORMAL
    author: str | None = None
    clicks: int = 0  # prompts ever added (undo does not take effort back)
    corrections: int = 0  # tracked or automatic masks replaced by a click or an edit


@dataclass(frozen=True)
class PromptRecord:
    id: int
    object_id: int
    frame: int
    kind: str  # "point" or "box"
    coords: tuple[float, ...]  # (x, y) or (x0, y0, x1, y1), source pixels
    positive: bool
    order: int
    author: str | None = None
    created_at: str | None = None


@dataclass(frozen=True)
class MaskRecord:
    object_id: int
    frame: int
    rle: Rle
    area: int
    bbox: tuple[float, float, float, float]
    source: MaskSource
    model: str | None
    updated_at: str
    score: float | None = (
        None  # the model's own confidence (predicted IoU, object or concept score)
    )
    author: str | None = None
    accepted_by: str | None = None  # the reviewer who accepted this very mask (None: not yet)
    accepted_at: str | None = None
