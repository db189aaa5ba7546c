"""Writing test videos with PyAV (h264 with B-frames by default, like real camera footage)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


def write_video(
    frames: Iterable[np.ndarray],
    out: Path,
    fps: int = 24,
    codec: str = "libx264",
    gop: int = 12,
    bframes: int = 2,
    rotation: int | None = None,
    pts_ms: Sequence[int] | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB uint8 frames.

    ``rotation``: clockwise degrees a player must turn the picture (what phones write as the
    ``rotate`` tag); stored as the container's display matrix, the way FFmpeg 6+ writes it.
    ``pts_ms``: explicit presentation times in milliseconds (variable frame rate).
    ``options``: extra encoder options (e.g. {"preset": "ultrafast"}).
    """
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[:2]
    with av.open(str(out), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = w - w % 2, h - h % 2
        stream.pix_fmt = "yuv420p"
        opts: dict[str, str] = {}
        if codec == "libx264":
            opts = {
                "g": str(gop),
                "bf": str(bframes),
                "keyint_min": str(gop),
                "sc_threshold": "0",
            }
        elif codec in {"mpeg4", "libvpx-vp9", "libx265"}:
            opts = {"g": str(gop)}
        opts.update(options or {})
        stream.options = opts
        if pts_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.time_base = Fraction(1, 1000)
        if rotation:
            # PyAV's angle is counter-clockwise (as VideoFrame.rotation reads it back).
            stream.set_display_rotation(-rotation)
        for n, frame in enumerate(_chain(first, frames)):
            vf = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame[: stream.height, : stream.width]), format="rgb24"
            )
            if pts_ms is not None:
                vf.pts = int(pts_ms[n])
                vf.time_base = Fraction(1, 1000)
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def _chain(first, rest):
    yield first
    yield from rest


def encode_frames_to_mp4(paths: list[Path], out: Path, fps: int = 24) -> Path:
    return write_video((np.asarray(Image.open(p).convert("RGB")) for p in paths), out, fps=fps)


def moving_square_frames(n: int, w: int = 320, h: int = 240) -> list[np.ndarray]:
    """Frames whose content encodes the frame number, so a wrong frame is detectable."""
    frames = []
    for i in range(n):
        f = np.full((h, w, 3), 40, np.uint8)
        x = 10 + (i * 7) % (w - 60)
        f[60:110, x : x + 50] = (220, 60, 60)
        f[:8, :] = (i * 37) % 256  # a stripe whose grey level names the frame
        frames.append(f)
    return frames


_BITS = 12  # frame numbers up to 4095
_CELL = 16  # pixels per bit: big flat blocks survive lossy encoding


def numbered_frames(n: int, w: int = 256, h: int = 192, start: int = 0) -> list[np.ndarray]:
    """Frames carrying their own number as a row of black/white blocks (read_frame_number).

    Below the code row a textured pan moves with the frame number, so P/B-frames carry real
    motion and decoding errors would show up.
    """
    assert w >= _BITS * _CELL and h >= 2 * _CELL
    rng = np.random.default_rng(1)
    texture = rng.integers(0, 256, (h // 8 + 1, w // 8 + n + 1, 3), dtype=np.uint8)
    texture = texture.repeat(8, axis=0).repeat(8, axis=1)
    frames = []
    for i in range(start, start + n):
        f = np.ascontiguousarray(texture[:h, 8 * (i - start) : 8 * (i - start) + w])
        f[: 2 * _CELL] = 128
        for bit in range(_BITS):
            value = 255 if (i >> bit) & 1 else 0
            f[_CELL // 2 : _CELL // 2 + _CELL, bit * _CELL : (bit + 1) * _CELL] = value
        frames.append(f)
    return frames


def read_frame_number(rgb: np.ndarray) -> int:
    """The number written by numbered_frames (decoded from block brightness)."""
    number = 0
    for bit in range(_BITS):
        block = rgb[
            _CELL // 2 + 3 : _CELL // 2 + _CELL - 3, bit * _CELL + 3 : (bit + 1) * _CELL - 3
        ]
        if block.mean() > 128:
            number |= 1 << bit
    return number
