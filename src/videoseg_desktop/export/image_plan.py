"""The list of images an image format (COCO, YOLO) exports: still images and chosen video frames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.core.records import MaskRecord, MediaItem, MediaKind, ObjectRecord
from videoseg_desktop.export.frames import copy_media_file, frame_file_name, iter_frames, write_jpeg
from videoseg_desktop.export.selection import ExportSelection, NameAllocator
from videoseg_desktop.export.writer import ExportTarget, Progress


@dataclass
class PlannedImage:
    id: int  # 1-based, in export order
    file_name: str  # relative to the images folder: "a.jpg" or "<video stem>/00012.jpg"
    item: MediaItem
    frame: int

    @property
    def is_frame(self) -> bool:
        return self.item.kind is MediaKind.VIDEO


def plan_images(sel: ExportSelection) -> list[PlannedImage]:
    """Every selected still image, and each selected video's frames that hold a mask."""
    names = NameAllocator()
    images: list[PlannedImage] = []
    for item in sel.media:
        if item.kind is MediaKind.IMAGE:
            images.append(PlannedImage(len(images) + 1, names.file_name(item), item, 0))
            continue
        objects = sel.objects(item.id)
        frames = sorted({f for obj in objects for f, _ in sel.project.masks.frames_of(obj.id)})
        if not frames:
            continue
        stem = names.stem(item)
        for frame in frames:
            name = f"{stem}/{frame_file_name(frame)}"
            images.append(PlannedImage(len(images) + 1, name, item, frame))
    return images


def write_image_files(
    project,
    target: ExportTarget,
    folder: str,
    images: list[PlannedImage],
    copy_stills: bool,
    progress: Progress | None = None,
) -> int:
    """Copy still images (when asked) and decode + write video frames; returns the files written."""
    stills = [img for img in images if not img.is_frame] if copy_stills else []
    by_video: dict[int, dict[int, PlannedImage]] = {}
    for img in images:
        if img.is_frame:
            by_video.setdefault(img.item.id, {})[img.frame] = img
    total = len(stills) + sum(map(len, by_video.values()))
    done = 0
    for img in stills:
        copy_media_file(project, img.item, target.file(f"{folder}/{img.file_name}"))
        done += 1
        if progress:
            progress(done, total)
    for frames in by_video.values():
        item = next(iter(frames.values())).item
        for frame, rgb in iter_frames(project, item, frames):
            write_jpeg(target.file(f"{folder}/{frames[frame].file_name}"), rgb)
            done += 1
            if progress:
                progress(done, total)
    return done


def image_masks(
    sel: ExportSelection, image: PlannedImage
) -> Iterator[tuple[ObjectRecord, MaskRecord]]:
    """(object, non-empty mask) pairs of one planned image, in object order, size-checked."""
    project = sel.project
    wanted = {obj.id: obj for obj in sel.objects(image.item.id)}
    expected = [image.item.height, image.item.width]
    for rec in project.masks.for_frame(image.item.id, image.frame):
        if rec.object_id not in wanted or rec.area == 0:
            continue
        if list(rec.rle["size"]) != expected:
            raise ExportError(
                f"a mask of {image.item.original_name} is {rec.rle['size'][1]}x{rec.rle['size'][0]},"
                f" the media {image.item.width}x{image.item.height}; the project is inconsistent"
            )
        yield wanted[rec.object_id], rec
