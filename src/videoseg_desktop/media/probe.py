"""What a media file is (image or video, display size, exact frame count), checked on import.

Probing validates as well as describes: a file that passes can be read frame by frame later.
Videos are indexed (exact frame count) and their first and last frames decoded, so truncated
files are refused at import rather than failing half-way through annotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.av_utils import display_size, open_video, reason
from videoseg_desktop.media.formats import sniff
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index
from videoseg_desktop.media.image_io import load_image, read_image_header
from videoseg_desktop.media.video_reader import VideoReader


@dataclass(frozen=True)
class MediaInfo:
    kind: MediaKind
    width: int  # display size: EXIF orientation / rotation metadata applied
    height: int
    frame_count: int  # exact: 1 for images, the frame index's length for videos
    fps: float | None  # average frame rate (videos only; may be variable)
    duration: float | None  # seconds (videos only)
    rotation: int  # clockwise degrees applied to the stored pixels for display
    pix_fmt: str | None  # "yuv420p" for videos, the Pillow mode ("RGB", "L", ...) for images
    codec: str | None  # "h264", "vp9", ... or the image format ("png", "jpeg", ...)


def probe_media(path: Path) -> MediaInfo:
    """Describe ``path`` after checking it can be decoded; MediaError naming the file if not."""
    return probe_media_with_index(path)[0]


def probe_media_with_index(
    path: Path, decode_all: bool = False
) -> tuple[MediaInfo, FrameIndex | None]:
    """Like probe_media, also returning the frame index it built (None for images).

    An importer can save that index to the cache instead of demuxing the video a second time.
    ``decode_all`` decodes every frame of a video (``videoseg import --verify``), not only the
    first and the last, so a file corrupt in the middle is refused too.
    """
    path = Path(path)
    found = sniff(path)
    if found.kind is MediaKind.IMAGE:
        return _probe_image(path), None
    return _probe_video(path, decode_all)


def _probe_image(path: Path) -> MediaInfo:
    header = read_image_header(path)
    load_image(path)  # decode once: a truncated or corrupt image is refused now, not later
    return MediaInfo(
        kind=MediaKind.IMAGE,
        width=header.width,
        height=header.height,
        frame_count=1,
        fps=None,
        duration=None,
        rotation=header.rotation,
        pix_fmt=header.mode,
        codec=header.format,
    )


def _probe_video(path: Path, decode_all: bool = False) -> tuple[MediaInfo, FrameIndex]:
    index = build_frame_index(path)
    container, stream = open_video(path)
    try:
        ctx = stream.codec_context
        codec = ctx.name
        pix_fmt = ctx.pix_fmt
        width, height = display_size(ctx.width, ctx.height, index.rotation)
        rate = stream.average_rate or stream.guessed_rate
    finally:
        container.close()
    _check_decodes(path, index, decode_all)
    step = _frame_step(index)
    duration = float((int(index.pts[-1]) - int(index.pts[0])) * index.time_base) + (step or 0.0)
    fps = float(rate) if rate else (1.0 / step if step else None)
    info = MediaInfo(
        kind=MediaKind.VIDEO,
        width=width,
        height=height,
        frame_count=len(index),
        fps=fps,
        duration=duration,
        rotation=index.rotation,
        pix_fmt=pix_fmt,
        codec=codec,
    )
    return info, index


def _check_decodes(path: Path, index: FrameIndex, decode_all: bool = False) -> None:
    """Decode the first and the last frame (the last costs at most one keyframe interval), or,
    with ``decode_all``, every frame in one forward pass."""
    last = len(index) - 1
    i = 0
    try:
        with VideoReader(path, index, cache_size=1) as reader:
            if decode_all:
                for _rgb in reader.iter_frames():
                    i += 1  # frames decoded so far; the failing one is number i + 1
                return
            for i in (0, last) if last else (0,):
                reader.read(i)
    except MediaError:
        raise MediaError(
            f"{path.name} is truncated or corrupt: frame {i + 1} of {len(index)} cannot be decoded."
        ) from None
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name} cannot be decoded ({reason(exc)}).") from None


def _frame_step(index: FrameIndex) -> float | None:
    """Typical time between frames (median, so a few irregular gaps do not skew it)."""
    if len(index) < 2:
        return None
    diffs = index.pts[1:] - index.pts[:-1]
    diffs.sort()
    return float(diffs[len(diffs) // 2] * index.time_base)
