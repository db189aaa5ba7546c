"""Opening videos with PyAV, turning its exceptions into MediaError, and rotation helpers.

Rotation convention used across the media layer: degrees CLOCKWISE that a decoded frame must be
turned to be shown upright (0, 90, 180 or 270), i.e. the value of the classic ``rotate`` tag
phones write. FFmpeg's display matrix (``VideoFrame.rotation``) is counter-clockwise.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.media.formats import check_pixel_limit


def open_video(path: Path) -> tuple[av.container.InputContainer, av.video.stream.VideoStream]:
    """Open ``path`` and return its container and first video stream, or raise MediaError."""
    path = Path(path)
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        raise MediaError(
            f"{path.name} cannot be opened as a video (truncated or corrupt file: {reason(exc)})."
        ) from None
    except OSError as exc:
        raise MediaError(f"{path.name} cannot be read: {exc}.") from None
    try:
        stream = _main_video_stream(container)
        if stream is None:
            raise MediaError(f"{path.name} contains no video stream.")
        if stream.codec_context is None or stream.codec_context.codec is None:
            raise MediaError(f"{path.name} uses a video codec this build cannot decode.")
        name = stream.codec_context.name
        try:
            av.codec.Codec(name, "r")
        except (av.FFmpegError, ValueError):
            raise MediaError(
                f"{path.name} uses the {name} video codec, which this build cannot decode."
            ) from None
        check_pixel_limit(path, stream.codec_context.width, stream.codec_context.height)
    except BaseException:
        container.close()
        raise
    return container, stream


def _main_video_stream(container: av.container.InputContainer):
    """The first real video stream: cover art (an "attached picture") is skipped."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def configure_decoder(stream: av.video.stream.VideoStream, thread_type: str = "AUTO") -> None:
    """Decoder threading: "AUTO" lets FFmpeg use frame and slice threads (one per core + 1).

    Seeking flushes the frame-thread pipeline, but random access decodes dozens of frames
    per seek on long keyframe intervals, so threads pay off (see benchmarks/bench_media.py).
    """
    stream.thread_type = thread_type


def reason(exc: BaseException) -> str:
    """A short lower-level reason for an FFmpeg failure, for the end of a user message."""
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".") or type(exc).__name__


def clockwise_rotation(frame: av.VideoFrame) -> int:
    """The clockwise display rotation of a decoded frame, snapped to a multiple of 90."""
    ccw = frame.rotation or 0
    return int(round(-ccw / 90.0)) * 90 % 360


def rotate_rgb(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Turn an H,W,3 array ``rotation`` degrees clockwise; returns a C-contiguous array."""
    if rotation % 360 == 0:
        return rgb
    # np.rot90 turns counter-clockwise for positive k.
    return np.ascontiguousarray(np.rot90(rgb, k=-(rotation // 90)))


def display_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """Width and height once a rotation is applied."""
    return (height, width) if rotation % 180 == 90 else (width, height)


def frame_to_rgb(frame: av.VideoFrame, rotation: int) -> np.ndarray:
    """Decoded frame to an upright H,W,3 uint8 RGB array."""
    return rotate_rgb(frame.to_ndarray(format="rgb24"), rotation)
