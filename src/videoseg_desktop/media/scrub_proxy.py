"""A small all-intra copy of a video for showing frames while the playhead moves.

Long-GOP video (a keyframe every 250 frames in screen recordings and action cameras) makes a
random frame cost a seek plus up to 249 decodes: ~240 ms at 1080p here. While the user drags the
timeline, any picture of the right moment will do; the exact frame replaces it once decoded.
The proxy is every ``stride``-th frame, downscaled to ``max_side`` pixels and stored as
independent JPEGs in one file (``frames.jpg-pack``) with an offset table (``frames.idx``, plain
int64 little-endian, never pickled). Any frame is then one JPEG decode (~2 ms at 480 px).

The proxy lives in the project's ``cache/`` (deleted with the cache), is built in the background
after import by one sequential decoding pass (``build_scrub_proxy``; cancellable, reports
progress) and respects a size cap by raising ``stride``. The files are untrusted input like the
rest of a project: a damaged or foreign proxy is refused (``open_scrub_proxy`` returns None)
and the caller falls back to the exact reader.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from videoseg_desktop.core.errors import MediaError

PACK, INDEX, META = "frames.jpg-pack", "frames.idx", "proxy.json"
FORMAT = 1
MIN_FRAMES = 60  # shorter videos decode fast enough without a proxy
DEFAULT_MAX_SIDE = 480
DEFAULT_CAP_BYTES = 256 * 1024 * 1024
JPEG_QUALITY = 75
_SAMPLE_FRAMES = 8  # frames encoded before the stride is fixed from their size


def proxy_dir(cache_dir: Path, media_key: str) -> Path:
    """Where the proxy of one media item lives inside a project's cache."""
    safe = "".join(c for c in str(media_key) if c.isalnum() or c in "-_")[:64] or "media"
    return Path(cache_dir) / "scrub" / safe


def media_proxy_dir(cache_dir: Path, media_id: int, sha256: str) -> Path:
    """The proxy folder of a project's media item (its content hash in the name: a replaced
    file gets a new proxy)."""
    return proxy_dir(cache_dir, f"{int(media_id)}-{str(sha256)[:16]}")


def build_scrub_proxy(
    frames,
    folder: Path,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    cap_bytes: int = DEFAULT_CAP_BYTES,
    on_progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    gate: Callable[[], None] | None = None,
) -> bool:
    """Write the proxy of ``frames`` (a FrameSource: ``len``, ``iter_frames``) into ``folder``.

    One forward pass; returns False when cancelled (nothing is left behind). The proxy becomes
    visible atomically (metadata written last), so a reader never sees a half-built one.
    ``gate`` is called before each frame: it may block (the build pauses while the user plays
    or tracks) and the cancel flag is checked after it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    total = len(frames)
    if total == 0:
        raise MediaError("the video has no frames to make a scrub proxy of")
    (folder / META).unlink(missing_ok=True)
    offsets: list[int] = [0]
    kept: list[int] = []
    stride = 1
    written = 0
    tmp_pack = folder / (PACK + ".part")
    try:
        with open(tmp_pack, "wb") as pack:
            for i, rgb in enumerate(frames.iter_frames()):
                if gate is not None:
                    gate()
                if cancel is not None and cancel.is_set():
                    raise _Cancelled
                if i == _SAMPLE_FRAMES and written:
                    # Fix the stride so that the whole proxy stays under the cap.
                    per_frame = written / len(kept)
                    stride = max(1, math.ceil(per_frame * total / cap_bytes))
                if i % stride == 0 or i < _SAMPLE_FRAMES:
                    data = _encode(rgb, max_side)
                    pack.write(data)
                    written += len(data)
                    offsets.append(written)
                    kept.append(i)
                if on_progress is not None and (i % 25 == 0 or i == total - 1):
                    on_progress(i + 1, total)
    except _Cancelled:
        tmp_pack.unlink(missing_ok=True)
        return False
    os.replace(tmp_pack, folder / PACK)
    table = np.array([len(kept), *kept, *offsets], dtype="<i8")
    (folder / INDEX).write_bytes(table.tobytes())
    meta = {"format": FORMAT, "frames": total, "max_side": max_side, "stride": stride}
    (folder / META).write_text(json.dumps(meta))
    return True


class ScrubProxy:
    """Nearest-proxy-frame pictures of a video (upright RGB, at most ``max_side`` px)."""

    def __init__(self, folder: Path, frame_count: int) -> None:
        folder = Path(folder)
        meta = json.loads((folder / META).read_text())
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise MediaError("unknown scrub proxy format")
        if meta.get("frames") != frame_count:
            raise MediaError("the scrub proxy belongs to another version of the video")
        raw = np.frombuffer((folder / INDEX).read_bytes(), dtype="<i8")
        if raw.size < 1 or raw[0] < 1 or raw.size != 1 + 2 * int(raw[0]) + 1:
            raise MediaError("damaged scrub proxy index")
        count = int(raw[0])
        self.frames = raw[1 : 1 + count].copy()
        self.offsets = raw[1 + count :].copy()
        size = (folder / PACK).stat().st_size
        if (
            np.any(np.diff(self.frames) <= 0)
            or self.frames[0] != 0
            or self.frames[-1] >= frame_count
            or np.any(np.diff(self.offsets) <= 0)
            or self.offsets[0] != 0
            or self.offsets[-1] != size
        ):
            raise MediaError("damaged scrub proxy index")
        self.frame_count = frame_count
        self._pack = open(folder / PACK, "rb")  # noqa: SIM115 - closed by close()
        self._lock = threading.Lock()

    def nearest(self, i: int) -> int:
        """The proxy frame shown for frame ``i``: the last stored frame at or before it."""
        pos = int(np.searchsorted(self.frames, int(i), side="right")) - 1
        return int(self.frames[max(pos, 0)])

    def read(self, i: int) -> np.ndarray:
        """A low-resolution picture of frame ``i`` (of the nearest stored frame)."""
        pos = max(int(np.searchsorted(self.frames, int(i), side="right")) - 1, 0)
        start, end = int(self.offsets[pos]), int(self.offsets[pos + 1])
        with self._lock:
            self._pack.seek(start)
            data = self._pack.read(end - start)
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise MediaError("damaged scrub proxy frame")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._pack.close()


def open_scrub_proxy(folder: Path, frame_count: int) -> ScrubProxy | None:
    """The proxy in ``folder`` if it is complete and matches the video; None otherwise."""
    try:
        return ScrubProxy(folder, frame_count)
    except (OSError, ValueError, MediaError):
        return None


class _Cancelled(Exception):
    pass


def _encode(rgb: np.ndarray, max_side: int) -> bytes:
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise MediaError("could not encode a scrub proxy frame")
    return data.tobytes()
