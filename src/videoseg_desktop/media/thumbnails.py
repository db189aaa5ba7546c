"""Small preview pictures for the media list, written into the project's cache/."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PIL import Image

from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.media.frames import open_frames

# Frame used for a video's thumbnail: a little past the start, where fades from black are over,
# while still inside the first keyframe interval of most files (cheap to decode).
_VIDEO_THUMB_FRAME = 5


def make_thumbnail(
    path: Path,
    kind: MediaKind,
    out_path: Path,
    size: int = 160,
    index_path: Path | None = None,
) -> Path:
    """Write a thumbnail whose longer side is ``size`` pixels; returns ``out_path``.

    The format follows ``out_path``'s suffix (.png keeps edges crisp; anything else is JPEG).
    Written to a temp file then renamed, so a crash never leaves a half-written thumbnail.
    ``index_path``: the video's cached frame index, if any (saves a demux pass).
    """
    path, out_path = Path(path), Path(out_path)
    with open_frames(path, kind, index_path) as frames:
        rgb = frames.read(min(_VIDEO_THUMB_FRAME, len(frames) - 1))
    img = Image.fromarray(rgb)
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    fmt = "PNG" if out_path.suffix.lower() == ".png" else "JPEG"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name, suffix=".tmp", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            img.save(fh, format=fmt, **({"quality": 85} if fmt == "JPEG" else {}))
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path
