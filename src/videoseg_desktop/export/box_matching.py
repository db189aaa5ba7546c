"""Detector boxes matched to the project's media: by file name, in pixels, inside the image.

Images are found by the name the file gives (the copy's name or the original name, then the
bare file name, then the stem for YOLO txt files); videos by their stem. Each box is turned into
source pixels and clipped to its image; one that lies outside (nothing left after clipping) is
left out with one line. MOT rows become one ``BoxTrack`` per track id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from videoseg_desktop.core.box_prompts import BoxTrack, DetectedBox
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.prompts import Box
from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.export.box_readers import BoxFile, RawBox
from videoseg_desktop.export.importers import _MediaIndex


@dataclass
class BoxPlan:
    images: list[tuple[MediaItem, list[DetectedBox]]] = field(default_factory=list)
    videos: list[tuple[MediaItem, list[BoxTrack]]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # names in the file, not in the selection
    below_score: int = 0  # boxes under --min-score

    @property
    def labels(self) -> list[str]:
        names = {b.label for _, boxes in self.images for b in boxes}
        names |= {t.label for _, tracks in self.videos for t in tracks}
        return sorted(names)


def match_boxes(media: list[MediaItem], boxes: BoxFile, min_score: float | None) -> BoxPlan:
    plan = BoxPlan()
    if boxes.images:
        index = _MediaIndex(media, MediaKind.IMAGE)
        for name, raw in boxes.images.items():
            item = _find_image(index, name, boxes)
            if item is None:
                plan.unmatched.append(name)
                continue
            kept = _kept(raw, min_score, plan)
            found = [b for b in (_pixels(r, item, boxes) for r in kept) if b is not None]
            if found:
                plan.images.append((item, found))
    if boxes.videos:
        index = _MediaIndex(media, MediaKind.VIDEO)
        names = list(boxes.videos)
        for name in names:
            item = _find(index, name, boxes, by_stem=True)
            if item is None and len(names) == 1 and len(index.items) == 1:
                item = index.items[0]  # one file, one video: they go together
            if item is None:
                plan.unmatched.append(name)
                continue
            tracks = _tracks(_kept(boxes.videos[name], min_score, plan), item, boxes)
            if tracks:
                plan.videos.append((item, tracks))
    plan.images.sort(key=lambda pair: pair[0].id)
    plan.videos.sort(key=lambda pair: pair[0].id)
    return plan


def _find(index: _MediaIndex, name: str, boxes: BoxFile, by_stem: bool = False):
    try:
        return index.find(name, by_stem)
    except ExportError as exc:  # the name is ambiguous in the project
        boxes.problem(str(exc))
        return None


def _find_image(index: _MediaIndex, name: str, boxes: BoxFile) -> MediaItem | None:
    base = PurePosixPath(name).name
    if boxes.normalised:  # YOLO: the txt file is named like the image, without its suffix
        return _find(index, base, boxes, by_stem=True)
    return _find(index, name, boxes) or (_find(index, base, boxes) if base != name else None)


def _kept(raw: list[RawBox], min_score: float | None, plan: BoxPlan) -> list[RawBox]:
    if min_score is None:
        return raw
    kept = [r for r in raw if r.score is None or r.score >= min_score]
    plan.below_score += len(raw) - len(kept)
    return kept


def _pixels(raw: RawBox, item: MediaItem, boxes: BoxFile) -> DetectedBox | None:
    w, h = item.width, item.height
    a, b, c, d = raw.values
    if boxes.normalised:
        x0, y0, x1, y1 = (a - c / 2) * w, (b - d / 2) * h, (a + c / 2) * w, (b + d / 2) * h
    else:
        x0, y0, x1, y1 = a, b, a + c, b + d
    box = Box(_clip(x0, w), _clip(y0, h), _clip(x1, w), _clip(y1, h))
    if box.x1 - box.x0 < 1 or box.y1 - box.y0 < 1:
        boxes.problem(
            f"{raw.where}: the box {a:g},{b:g},{c:g},{d:g} lies outside the {w}x{h} image "
            f"of {item.original_name}"
        )
        return None
    return DetectedBox(raw.label, box, raw.score, raw.frame)


def _clip(value: float, side: int) -> float:
    return min(max(value, 0.0), float(side))


def _tracks(rows: list[RawBox], item: MediaItem, boxes: BoxFile) -> list[BoxTrack]:
    by_id: dict[int, dict[int, DetectedBox]] = {}
    labels: dict[int, str] = {}
    beyond: dict[int, int] = {}
    for raw in rows:
        if raw.frame >= item.frame_count:
            beyond[raw.track_id] = beyond.get(raw.track_id, 0) + 1
            continue
        frames = by_id.setdefault(raw.track_id, {})
        if raw.frame in frames:
            boxes.problem(
                f"{item.original_name}: track {raw.track_id} has two boxes on frame "
                f"{raw.frame + 1}; the first is used"
            )
            continue
        box = _pixels(raw, item, boxes)
        if box is not None:
            frames[raw.frame] = box
            labels.setdefault(raw.track_id, raw.label)
    for track, count in sorted(beyond.items()):
        boxes.problem(
            f"{item.original_name}: track {track} has {count} box{'es' if count != 1 else ''} "
            f"after the last frame ({item.frame_count}); left out"
        )
    return [
        BoxTrack(
            track,
            labels[track],
            tuple(
                DetectedBox(labels[track], b.box, b.score, b.frame) for _, b in sorted(f.items())
            ),
        )
        for track, f in sorted(by_id.items())
        if f
    ]
