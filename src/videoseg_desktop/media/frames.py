"""One way to get frames, whatever the media: inference and the UI read pixels only through here.

An image is a one-frame source; a video wraps a VideoReader whose frame index is loaded from
the project's cache (or built and saved there when missing or unreadable).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index
from videoseg_desktop.media.image_io import load_image
from videoseg_desktop.media.video_reader import VideoReader

log = logging.getLogger(__name__)


@runtime_checkable
class FrameSource(Protocol):
    """Frames as upright H,W,3 uint8 RGB arrays, numbered from 0."""

    width: int
    height: int

    def __len__(self) -> int: ...

    def read(self, i: int) -> np.ndarray: ...

    def iter_frames(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]: ...

    def close(self) -> None: ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(self, *exc: object) -> None: ...


class ImageFrames:
    """A still image as a one-frame source (EXIF orientation applied)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._rgb = load_image(self.path)
        self._rgb.flags.writeable = False
        self.height, self.width = self._rgb.shape[:2]
        self.fps: float | None = None

    def __len__(self) -> int:
        return 1

    def read(self, i: int) -> np.ndarray:
        if int(i) != 0:
            raise IndexError(f"frame {i} is out of range (an image has one frame)")
        return self._rgb.copy()

    def iter_frames(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        if start == 0 and (stop is None or stop > 0):
            yield self._rgb.copy()

    def close(self) -> None:
        pass

    def __enter__(self) -> ImageFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_frames(
    path: Path, kind: MediaKind, index_path: Path | None = None, cache_size: int = 16
) -> FrameSource:
    """Open ``path`` as a FrameSource. For videos, ``index_path`` caches the frame index."""
    path = Path(path)
    if MediaKind(kind) is MediaKind.IMAGE:
        return ImageFrames(path)
    return VideoReader(path, load_or_build_index(path, index_path), cache_size=cache_size)


def load_or_build_index(path: Path, index_path: Path | None) -> FrameIndex:
    """The cached index at ``index_path`` if readable, else a fresh one (saved there).

    The cache is disposable: a corrupt or outdated file is rebuilt, never an error.
    """
    if index_path is not None and Path(index_path).is_file():
        try:
            return FrameIndex.load(index_path)
        except MediaError as exc:
            log.warning("rebuilding frame index for %s: %s", Path(path).name, exc)
    index = build_frame_index(path)
    if index_path is not None:
        try:
            index.save(index_path)
        except OSError as exc:  # a read-only cache must not stop the video from opening
            log.warning("cannot save frame index %s: %s", index_path, exc)
    return index
