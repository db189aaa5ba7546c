"""Which media, labels and objects an export covers, resolved and checked before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from videoseg_desktop.core.attributes import AttributeSpec, AttributeValue
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.records import (
    Label,
    MaskRecord,
    MediaItem,
    MediaKind,
    MediaStatus,
    ObjectRecord,
)
from videoseg_desktop.core.text import noun, plural
from videoseg_desktop.export.writer import safe_file_name, unique_name

# ``--status``: which workflow states an export takes ("done" includes what was reviewed since).
STATUS_FILTERS = {
    "any": None,
    "done": {MediaStatus.DONE, MediaStatus.REVIEWED},
    "reviewed": {MediaStatus.REVIEWED},
}


@dataclass
class ExportSelection:
    project: object
    media: list[MediaItem]
    labels: list[Label]  # the categories, in the project's label order
    label_filter: set[int] | None  # label ids asked for, or None for all
    require_label: bool
    warnings: list[str] = field(default_factory=list)
    unlabelled_skipped: int = 0
    _counted: set[int] = field(default_factory=set)  # media whose unlabelled objects are counted
    _last: tuple[int, list[ObjectRecord]] | None = None  # one-entry cache: frames come in order
    specs: dict[int, AttributeSpec] = field(default_factory=dict)  # attribute specs by id
    _values: tuple[int, dict[int, list[AttributeValue]]] | None = None  # one media's values

    @property
    def label_by_id(self) -> dict[int, Label]:
        return {label.id: label for label in self.labels}

    def objects(self, media_id: int) -> list[ObjectRecord]:
        """The media item's objects that this export includes, in creation order.

        Only the last media item's list is kept, so a large export holds no per-object state.
        """
        if self._last is not None and self._last[0] == media_id:
            return self._last[1]
        chosen, count_unlabelled = [], media_id not in self._counted
        self._counted.add(media_id)
        for obj in self.project.objects.list(media_id):
            if obj.label_id is None:
                if self.label_filter is not None:
                    continue  # not among the labels asked for
                if self.require_label:
                    self.unlabelled_skipped += count_unlabelled
                    continue
            elif self.label_filter is not None and obj.label_id not in self.label_filter:
                continue
            chosen.append(obj)
        self._last = (media_id, chosen)
        return chosen

    def masks(self, obj: ObjectRecord) -> Iterator[MaskRecord]:
        """An object's non-empty masks in frame order, streamed from the database."""
        for rec in self.project.masks.for_object(obj.id):
            if rec.area > 0:
                yield rec

    def specs_by_label(self) -> dict[int, list[AttributeSpec]]:
        out: dict[int, list[AttributeSpec]] = {}
        for spec in self.specs.values():
            out.setdefault(spec.label_id, []).append(spec)
        return out

    def _object_values(self, obj: ObjectRecord) -> list[tuple[AttributeSpec, AttributeValue]]:
        """The object's values of its label's attributes (loaded per media item, cached)."""
        if not self.specs:
            return []
        if self._values is None or self._values[0] != obj.media_id:
            self._values = (obj.media_id, self.project.attributes.values_for_media(obj.media_id))
        out = []
        for v in self._values[1].get(obj.id, ()):
            spec = self.specs.get(v.spec_id)
            if spec is not None and spec.label_id == obj.label_id:
                out.append((spec, v))
        return out

    def attributes_at(self, obj: ObjectRecord, frame: int) -> dict | None:
        """COCO: per-object values and the per-frame values on ``frame`` (None: none set)."""
        out = {
            spec.name: v.value
            for spec, v in self._object_values(obj)
            if v.frames is None or v.covers(frame)
        }
        return out or None

    def track_attributes(self, obj: ObjectRecord, length: int) -> dict | None:
        """YouTube-VIS: per-object values as they are, per-frame ones as a list of ``length``
        values aligned with ``segmentations`` (None where unset)."""
        out: dict = {}
        for spec, v in self._object_values(obj):
            if not spec.per_frame or v.frames is None:
                out[spec.name] = v.value
                continue
            values = out.setdefault(spec.name, [None] * length)
            if not isinstance(values, list):
                continue
            for frame in range(v.frames[0], min(v.frames[1], length - 1) + 1):
                values[frame] = v.value
        return out or None

    def finish_warnings(self) -> list[str]:
        if self.unlabelled_skipped:
            self.warnings.append(
                f"{plural(self.unlabelled_skipped, 'object')} without a label "
                f"{noun(self.unlabelled_skipped, 'was')} left out "
                "(this format needs a class for every object)"
            )
        return self.warnings


def parse_id_list(text: str | None) -> list[int] | None:
    """``"3,5,8"`` -> [3, 5, 8]; None/empty -> None."""
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ExportError(
            f"media ids must be whole numbers separated by commas, not {text!r}"
        ) from None


def parse_name_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [part.strip() for part in text.split(",") if part.strip()] or None


def select(
    project,
    kinds: Iterable[MediaKind],
    labels: Iterable[str] | None = None,
    media_ids: Iterable[int] | None = None,
    require_label: bool = True,
    annotated_only: bool = False,
    status: str = "any",
) -> ExportSelection:
    """Resolve the export's media and labels, refusing unknown names and ids up front.

    Without ``media_ids`` every media item of the given kinds is taken (only annotated ones with
    ``annotated_only``); with them exactly those, and items of another kind are reported and left out.
    ``status`` (any, done, reviewed) keeps only media items in those workflow states.
    """
    if status not in STATUS_FILTERS:
        raise ExportError(f"unknown status {status!r}; use one of {', '.join(STATUS_FILTERS)}")
    kinds = set(kinds)
    all_labels = project.labels.list()
    label_filter = None
    if labels is not None:
        by_name = {label.name: label for label in all_labels}
        missing = [name for name in labels if name not in by_name]
        if missing:
            raise ExportError(
                f"no label named {', '.join(map(repr, missing))} in this project"
                f" (labels: {', '.join(by_name) or 'none'})"
            )
        label_filter = {by_name[name].id for name in labels}
    chosen_labels = [lb for lb in all_labels if label_filter is None or lb.id in label_filter]
    warnings: list[str] = []
    if media_ids is not None:
        media = []
        for media_id in dict.fromkeys(media_ids):
            try:
                item = project.media.get(media_id)
            except Exception:
                raise ExportError(f"no media with id {media_id} in this project") from None
            if item.kind in kinds:
                media.append(item)
            else:
                warnings.append(
                    f"media {media_id} ({item.original_name}) is a {item.kind.value}; left out"
                )
    else:
        media = [
            m
            for m in project.media.list("annotated" if annotated_only else "all")
            if m.kind in kinds
        ]
    allowed = STATUS_FILTERS[status]
    if allowed is not None:
        left_out = [m for m in media if m.status not in allowed]
        media = [m for m in media if m.status in allowed]
        if left_out:
            warnings.append(
                f"{plural(len(left_out), 'media item')} not {status} "
                f"{noun(len(left_out), 'was')} left out (--status {status})"
            )
    if not media:
        kinds_text = " or ".join(sorted(k.value + "s" for k in kinds))
        warnings.append(f"no {kinds_text} to export" + ("" if media_ids else " in this project"))
    specs = {spec.id: spec for spec in project.attributes.specs()}
    return ExportSelection(
        project, media, chosen_labels, label_filter, require_label, warnings, specs=specs
    )


class NameAllocator:
    """Unique, safe file names and folder names for media inside one export."""

    def __init__(self):
        self._files: set[str] = set()
        self._stems: set[str] = set()

    def file_name(self, item: MediaItem) -> str:
        """The media's original file name, made safe, with a stem unique in this export
        (``a.jpg``, ``a-2.png``: YOLO's label files are named by stem)."""
        name = safe_file_name(item.original_name)
        stem, suffix = Path(name).stem, Path(name).suffix
        return unique_name(self._files, safe_file_name(stem)) + suffix

    def stem(self, item: MediaItem) -> str:
        """A folder name from the media's file stem (``car-shadow.mp4`` -> ``car-shadow``)."""
        return unique_name(self._stems, safe_file_name(Path(item.original_name).stem))
