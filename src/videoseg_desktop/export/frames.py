"""Getting pixels into an export: copying image files, writing decoded video frames as JPEG."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from videoseg_desktop.core.errors import ExportError, describe_os_error
from videoseg_desktop.core.records import MediaItem

JPEG_QUALITY = 95


def frame_file_name(frame: int, suffix: str = ".jpg") -> str:
    """DAVIS / YouTube-VIS style frame names: 00000.jpg, 00001.jpg, ..."""
    return f"{frame:05d}{suffix}"


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = JPEG_QUALITY) -> None:
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ExportError(f"could not encode {path.name} as JPEG")
    try:
        path.write_bytes(data.tobytes())
    except OSError as exc:
        raise ExportError(f"cannot write {path.name}: {describe_os_error(exc)}") from exc


def copy_media_file(project, item: MediaItem, dest: Path) -> None:
    """Copy an image file byte for byte (the annotations refer to exactly these pixels).

    The file must still be the one imported (a linked or changed file is hashed first).
    """
    project.media_guard.verify(item)
    src = project.media_path(item)
    try:
        shutil.copyfile(src, dest)
    except OSError as exc:
        raise ExportError(f"cannot copy {item.original_name}: {describe_os_error(exc)}") from exc


@contextmanager
def opened_frames(project, item: MediaItem):
    """The media's frame source, closed afterwards when it has a ``close``; the file must still
    be the one imported."""
    project.media_guard.verify(item)
    source = project.open_frames(item)
    try:
        yield source
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def frame_count(project, item: MediaItem) -> int:
    with opened_frames(project, item) as source:
        return len(source)


def iter_frames(
    project, item: MediaItem, frames: Iterable[int]
) -> Iterator[tuple[int, np.ndarray]]:
    """Decode the given frames in increasing order (one forward pass through the video)."""
    with opened_frames(project, item) as source:
        for i in sorted(set(frames)):
            yield i, source.read(i)
