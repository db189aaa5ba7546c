"""Importing existing annotations (COCO, YouTube-VIS, DAVIS, YOLO-seg) as objects and masks.

Images are matched to the project's media by file name, videos by name (the file stem) and
frame count, or, for a video whose name matches nothing, by frame count in import order. The
whole import is one transaction: the file is read and checked completely first, and if anything
is wrong nothing in the project changes. Masks are stored with source "imported"; labels are
created as needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.masks import Rle, encode_rle
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.core.text import plural
from videoseg_desktop.export.attribute_import import AttributeImporter
from videoseg_desktop.export.dataset import AnnotationSet, ImageAnnotations, VideoAnnotations
from videoseg_desktop.export.readers import read_annotations
from videoseg_desktop.export.yolo_reader import read_yolo
from videoseg_desktop.store import MaskWrite

IMPORT_FORMATS = ("coco", "ytvis", "davis", "yolo")
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    format: str
    path: Path
    images: int = 0
    videos: int = 0
    objects: int = 0
    masks: int = 0
    labels_created: list[str] = field(default_factory=list)
    attributes: int = 0  # attribute values set
    attributes_created: list[str] = field(default_factory=list)  # "label.attribute"
    unmatched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"imported {self.format}: {plural(self.objects, 'object')}, {plural(self.masks, 'mask')} on "
            f"{plural(self.images, 'image')} and {plural(self.videos, 'video')}"
        )
        if self.labels_created:
            text += f"; new labels: {', '.join(self.labels_created)}"
        if self.attributes:
            text += f"; {plural(self.attributes, 'attribute value')}"
        if self.attributes_created:
            text += f"; new attributes: {', '.join(self.attributes_created)}"
        if self.unmatched:
            shown = ", ".join(self.unmatched[:5]) + (", ..." if len(self.unmatched) > 5 else "")
            text += f"; {len(self.unmatched)} not in the project, skipped: {shown}"
        return text


class _MediaIndex:
    """The project's media by the names annotation files use for them."""

    def __init__(self, media: list[MediaItem], kind: MediaKind):
        self.items = [m for m in media if m.kind is kind]
        # (name of the copy in media/, name when imported), by full name and by stem
        self.tables: dict[bool, tuple[dict, dict]] = {False: ({}, {}), True: ({}, {})}
        for m in self.items:
            for n, name in enumerate(
                (PurePosixPath(m.path.replace("\\", "/")).name, m.original_name)
            ):
                self.tables[False][n].setdefault(name, []).append(m)
                self.tables[True][n].setdefault(PurePosixPath(name).stem, []).append(m)

    def find(self, name: str, by_stem: bool = False) -> MediaItem | None:
        """The one media item called ``name`` (a file name, or a stem with ``by_stem``)."""
        for table in self.tables[by_stem]:
            found = table.get(name, [])
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise ExportError(
                    f"{name!r} matches {plural(len(found), 'media item')} in the project; rename one first"
                )
        return None


class _Writer:
    """Adds objects and masks, creating labels on first use (inside the caller's transaction).

    Objects are written a media item at a time, a few statements for all of its objects and
    masks: an import of hundreds of thousands of annotations must stay linear and quick (the
    naming of new objects included).
    """

    def __init__(self, project, summary: ImportSummary, attribute_specs: dict | None = None):
        self.project, self.summary = project, summary
        self.labels: dict[str, int] = {lb.name: lb.id for lb in project.labels.list()}
        self.attributes = AttributeImporter(project, attribute_specs or {})
        self.used: set[str] = set()  # categories objects were imported for
        self._media: MediaItem | None = None
        self._pending: list[tuple] = []  # (label id, category, masks, scores, attributes)

    def label_id(self, name: str) -> int:
        if name not in self.labels:
            self.labels[name] = self.project.labels.add(name).id
            self.summary.labels_created.append(name)
        return self.labels[name]

    def add_object(
        self,
        media: MediaItem,
        category: str,
        masks: dict[int, Rle],
        scores: dict[int, float] | None = None,
        attributes: dict | None = None,
    ) -> None:
        if self._media is not None and self._media.id != media.id:
            self.flush()
        self._media = media
        label_id = self.label_id(category)
        if category not in self.used:  # the file's schema first, in its order
            self.used.add(category)
            self.attributes.add_declared(label_id, category)
        self._pending.append((label_id, category, masks, scores or {}, attributes))

    def flush(self) -> None:
        """Write the buffered objects of the current media item."""
        if not self._pending:
            return
        media, pending, self._pending = self._media, self._pending, []
        ids = self.project.objects.add_many(media.id, [p[0] for p in pending])
        self.project.masks.put_many(
            MaskWrite(obj_id, frame, rle, MaskSource.IMPORTED, score=scores.get(frame))
            for obj_id, (_, _, masks, scores, _) in zip(ids, pending, strict=True)
            for frame, rle in sorted(masks.items())
        )
        for obj_id, (label_id, category, _, _, attributes) in zip(ids, pending, strict=True):
            if attributes:
                where = f"{media.original_name}, object {self.project.objects.get(obj_id).name!r}"
                self.attributes.apply(
                    obj_id, label_id, category, attributes, media.frame_count, where
                )
        self.summary.objects += len(ids)
        self.summary.masks += sum(len(p[2]) for p in pending)

    def finish(self) -> None:
        self.flush()
        self.summary.attributes = self.attributes.values
        self.summary.attributes_created = self.attributes.created


def _check_size(media: MediaItem, height: int, width: int, what: str) -> None:
    if (height, width) != (media.height, media.width):
        raise ExportError(
            f"mask size mismatch: {what} is {width}x{height} in the annotations, but "
            f"{media.original_name} is {media.width}x{media.height}"
        )


def _match_images(dataset: AnnotationSet, index: _MediaIndex, summary: ImportSummary):
    pairs: list[tuple[MediaItem, ImageAnnotations]] = []
    for image in dataset.images:
        media = index.find(PurePosixPath(image.file_name).name)
        if media is None:
            summary.unmatched.append(image.file_name)
            continue
        _check_size(media, image.height, image.width, image.file_name)
        pairs.append((media, image))
    return pairs


def _match_videos(dataset: AnnotationSet, index: _MediaIndex, summary: ImportSummary):
    pairs: dict[int, tuple[MediaItem, VideoAnnotations]] = {}
    used: set[int] = set()
    for n, video in enumerate(dataset.videos):
        media = index.find(video.name, by_stem=True)
        if media is None:
            continue
        if media.frame_count != video.length:
            raise ExportError(
                f"video {video.name!r} has {plural(video.length, 'frame')} in the annotations, "
                f"{media.frame_count} in the project ({media.original_name})"
            )
        pairs[n], used = (media, video), used | {media.id}
    for n, video in enumerate(dataset.videos):  # names that match nothing: by frame count, in order
        if n in pairs:
            continue
        media = next(
            (m for m in index.items if m.id not in used and m.frame_count == video.length), None
        )
        if media is None:
            summary.unmatched.append(video.name)
            continue
        summary.warnings.append(
            f"video {video.name!r} matched {media.original_name} by its frame count ({video.length})"
        )
        pairs[n], used = (media, video), used | {media.id}
    for media, video in pairs.values():
        _check_size(media, video.height, video.width, f"video {video.name!r}")
    return [pairs[n] for n in sorted(pairs)]


def import_annotations(
    project,
    fmt: str,
    path: Path | str,
    label: str = "object",
    progress: Progress | None = None,
) -> ImportSummary:
    """Read ``path`` as ``fmt`` and add its annotations to the project, all or nothing.

    ``label`` names the class of objects from formats without classes (DAVIS).
    """
    if fmt not in IMPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(IMPORT_FORMATS)}")
    path = Path(path).expanduser()
    summary = ImportSummary(fmt, path)
    media = project.media.list()
    if fmt == "yolo":
        return _import_yolo(project, path, media, summary, progress)
    dataset = read_annotations(path, fmt)
    images = _match_images(dataset, _MediaIndex(media, MediaKind.IMAGE), summary)
    videos = _match_videos(dataset, _MediaIndex(media, MediaKind.VIDEO), summary)
    _require_matches(images or videos, dataset.images, dataset.videos, path)
    total = len(images) + len(videos)
    with project.transaction():
        writer = _Writer(project, summary, dataset.attribute_specs)
        for done, (item, image) in enumerate(images, 1):
            for inst in image.instances:
                writer.add_object(
                    item, inst.category or label, {0: inst.rle}, {0: inst.score}, inst.attributes
                )
            if progress:
                progress(done, total)
        for done, (item, video) in enumerate(videos, len(images) + 1):
            for track in video.tracks:
                if track.masks:
                    writer.add_object(
                        item, track.category or label, track.masks, track.scores, track.attributes
                    )
            if progress:
                progress(done, total)
        writer.finish()
    summary.images, summary.videos = len(images), len(videos)
    return summary


def _require_matches(matched, images, videos, path: Path) -> None:
    if not matched and (images or videos):
        raise ExportError(
            f"none of the {plural(len(images), 'image')} and {plural(len(videos), 'video')} in {path} match the "
            "project's media (images are matched by file name, videos by name or frame count)"
        )


def _import_yolo(project, path: Path, media, summary: ImportSummary, progress) -> ImportSummary:
    class_names, files = read_yolo(path)
    index = _MediaIndex(media, MediaKind.IMAGE)
    pairs = []
    for label_file in files:
        item = index.find(PurePosixPath(label_file.name).name, by_stem=True)
        if item is None:
            summary.unmatched.append(label_file.name)
        else:
            pairs.append((item, label_file))
    _require_matches(pairs, files, [], path)
    with project.transaction():
        writer = _Writer(project, summary)
        for done, (item, label_file) in enumerate(pairs, 1):
            for cls, mask in label_file.masks(item.height, item.width):
                if mask.any():
                    writer.add_object(item, class_names[cls], {0: encode_rle(mask)})
            if progress:
                progress(done, len(pairs))
        writer.finish()
    summary.images = len(pairs)
    return summary
