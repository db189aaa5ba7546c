"""What the review store hands out: queue items, decisions and what a decision changed (for
undo). Plain dataclasses, shared by the CLI and the GUI."""

from __future__ import annotations

from dataclasses import dataclass, field

from videoseg_desktop.core.attributes import AttributeValue
from videoseg_desktop.core.records import MaskRecord, MediaStatus, ObjectRecord, ObjectState
from videoseg_desktop.core.review_rules import flag_names
from videoseg_desktop.core.text import noun, plural


@dataclass(frozen=True)
class ReviewItem:
    """One row of the review queue: a run of consecutive flagged frames of one object (an
    image has one frame), a suggested object, or a media item in a workflow state."""

    kind: str  # "flagged", "suggested" or "status"
    media_id: int
    media_name: str
    object_id: int | None = None
    object_name: str | None = None
    label: str | None = None
    first_frame: int | None = None
    last_frame: int | None = None
    reasons: int = 0  # review_rules.Flag bits (flagged items)
    score: float | None = None  # the lowest confidence in the run
    detail: str = ""  # why, for the first frame of the run (or the status comment)
    frames: int = 0  # masks in the item
    status: MediaStatus | None = None

    @property
    def names(self) -> list[str]:
        if self.kind == "suggested":
            return ["suggested"]
        if self.kind == "status":
            return [self.status.value] if self.status else []
        return flag_names(self.reasons)

    @property
    def key(self) -> tuple[int, int, int]:
        """Queue position: media, first frame, object (what "next" moves past)."""
        return (self.media_id, self.first_frame or 0, self.object_id or 0)

    @property
    def frame_text(self) -> str:
        if self.first_frame is None:
            return "-"
        if self.first_frame == self.last_frame:
            return str(self.first_frame)
        return f"{self.first_frame}-{self.last_frame}"

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "media_id": self.media_id,
            "media": self.media_name,
            "frame": self.first_frame,
            "last_frame": self.last_frame,
            "object_id": self.object_id,
            "object": self.object_name,
            "label": self.label,
            "reasons": self.names,
            "score": None if self.score is None else round(self.score, 4),
            "detail": self.detail,
            "frames": self.frames,
            "status": self.status.value if self.status else None,
        }


@dataclass(frozen=True)
class ReviewDecision:
    """A reviewer's decision on masks of one object, source and annotator (or on a media item:
    ``reviewed``/``needs-changes``, then one row per annotator of the item)."""

    id: int
    media_id: int
    object_id: int | None
    object_name: str | None
    frames: tuple[int, int] | None
    decision: str  # accept, reject, reviewed, needs-changes
    comment: str | None
    mask_source: str | None
    mask_author: str | None
    masks: int
    author: str | None
    created_at: str


@dataclass(frozen=True)
class StatusRecord:
    """A media item's workflow state as it was (undo puts it back)."""

    media_id: int
    status: MediaStatus
    comment: str | None
    by: str | None
    at: str | None


@dataclass
class ReviewOutcome:
    """What one accept, reject or state change did, with all it takes to undo it exactly."""

    decision: str
    media_id: int
    masks: int = 0  # masks accepted or removed
    decision_ids: list[int] = field(default_factory=list)
    accepted_before: list[tuple[int, int, str | None, str | None]] = field(default_factory=list)
    states_before: list[tuple[int, ObjectState]] = field(default_factory=list)
    removed_masks: list[MaskRecord] = field(default_factory=list)
    removed_objects: list[ObjectRecord] = field(default_factory=list)
    removed_prompts: list = field(default_factory=list)  # PromptRecords (none today: kept objects)
    removed_attributes: list[AttributeValue] = field(default_factory=list)
    relinked: dict[int, list[int]] = field(default_factory=dict)  # object -> its old decisions
    status_before: list[StatusRecord] = field(default_factory=list)
    objects_removed_names: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.decision not in ("accept", "reject"):  # a workflow state
            media = sorted({s.media_id for s in self.status_before}) or [self.media_id]
            return f"media {', '.join(map(str, media))}: {self.decision}"
        what = {
            "accept": "accepted",
            "reject": "rejected",
            "reviewed": "marked reviewed",
            "needs-changes": "marked needs-changes",
        }.get(self.decision, self.decision)
        text = f"{what}: {plural(self.masks, 'mask')} of media {self.media_id}"
        if self.objects_removed_names:
            names = self.objects_removed_names
            text += f"; removed empty {noun(len(names), 'object')}: {', '.join(names)}"
        return text
