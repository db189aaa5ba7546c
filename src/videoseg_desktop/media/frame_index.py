"""Per-video frame index: the presentation timestamp and keyframe flag of every frame.

Frame numbers are positions in this index, never times: ``frame i`` is the frame whose pts is
``pts[i]``. That keeps variable-frame-rate and B-frame videos exact, where ``t * fps``
arithmetic drifts. The index comes from one demux pass over the packets (no decoding of
pictures) and is cached as a small .npz next to the project's other caches.

Some containers (AVI) store no real presentation timestamps: the demuxer reports decode
timestamps as pts, and B-frames then come out of the decoder in a different order than their
"pts" suggest. For those ``decode_order`` is True: ``pts`` holds decode timestamps, and frame
numbers count the decoder's output from a keyframe instead (keyframes of closed GOPs are shown
at the same position they are decoded at).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.core.text import plural
from videoseg_desktop.media.av_utils import clockwise_rotation, open_video, reason

INDEX_VERSION = 1


@dataclass(eq=False)
class FrameIndex:
    pts: np.ndarray  # int64, one per frame, in display order (strictly increasing)
    keyframe: np.ndarray  # bool, True where decoding can start
    time_base: Fraction  # seconds per pts unit
    rotation: int  # clockwise degrees to display upright: 0, 90, 180 or 270
    decode_order: bool = False  # see module docstring
    _keys: np.ndarray = field(init=False, repr=False)  # frame numbers of the keyframes

    def __post_init__(self) -> None:
        self.pts = np.asarray(self.pts, dtype=np.int64)
        self.keyframe = np.asarray(self.keyframe, dtype=bool)
        if self.pts.ndim != 1 or self.pts.shape != self.keyframe.shape:
            raise ValueError("pts and keyframe must be 1-D arrays of the same length")
        if len(self.pts) and not self.keyframe[0]:
            # Decoding must be able to start somewhere; the first frame is the safe fallback
            # (a stream that opens on a non-keyframe still decodes from its start).
            self.keyframe = self.keyframe.copy()
            self.keyframe[0] = True
        self._keys = np.flatnonzero(self.keyframe)

    def __len__(self) -> int:
        return int(self.pts.shape[0])

    def keyframe_at_or_before(self, i: int) -> int:
        """Frame number of the last keyframe at or before frame ``i``."""
        at = int(np.searchsorted(self._keys, i, side="right")) - 1
        return int(self._keys[at]) if at >= 0 else 0

    def frame_of_pts(self, pts: int) -> int | None:
        """Frame number whose timestamp is exactly ``pts``, or None."""
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and self.pts[i] == pts else None

    def seconds(self, i: int) -> float:
        """Presentation time of frame ``i`` relative to the first frame (for display only)."""
        return float((int(self.pts[i]) - int(self.pts[0])) * self.time_base)

    def save(self, path: Path) -> Path:
        """Write atomically (temp file + rename) so a crash never leaves half an index."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            version=np.int64(INDEX_VERSION),
            pts=self.pts,
            keyframe=self.keyframe,
            time_base=np.array([self.time_base.numerator, self.time_base.denominator], np.int64),
            rotation=np.int64(self.rotation),
            decode_order=np.bool_(self.decode_order),
        )
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(buf.getvalue())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: Path) -> FrameIndex:
        """Read an index written by ``save``; MediaError if it is missing, corrupt or stale."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["version"]) != INDEX_VERSION:
                    raise MediaError(f"Frame index {path.name} has an old format.")
                num, den = (int(v) for v in data["time_base"])
                return cls(
                    pts=data["pts"],
                    keyframe=data["keyframe"],
                    time_base=Fraction(num, den),
                    rotation=int(data["rotation"]),
                    decode_order=bool(data["decode_order"]),
                )
        except MediaError:
            raise
        except (OSError, ValueError, KeyError, ZeroDivisionError, EOFError) as exc:
            raise MediaError(f"Frame index {path.name} cannot be read ({exc}).") from None


def build_frame_index(path: Path) -> FrameIndex:
    """Index every frame of the first video stream of ``path`` (one demux pass, no decoding)."""
    path = Path(path)
    rotation = first_frame_rotation(path)
    container, stream = open_video(path)
    pts: list[int | None] = []
    dts: list[int | None] = []
    keys: list[bool] = []
    packets = 0  # every packet, including those that make no picture of their own
    try:
        time_base = stream.time_base or Fraction(1, 1)
        is_avi = "avi" in container.format.name.split(",")
        declared_frames = stream.frames or 0
        declared_seconds = _declared_duration(stream)
        start_pts = stream.start_time
        try:
            for packet in container.demux(stream):
                if packet.size or packet.pts is not None or packet.dts is not None:
                    packets += 1
                if packet.size == 0 or packet.is_discard:
                    # Flush packets, AVI "dropped frame" placeholders and edit-list preroll
                    # produce no picture of their own.
                    continue
                pts.append(packet.pts)
                dts.append(packet.dts)
                keys.append(bool(packet.is_keyframe))
        except av.FFmpegError as exc:
            raise MediaError(
                f"{path.name} is truncated or corrupt: reading stopped after {plural(len(pts), 'frame')} "
                f"({reason(exc)})."
            ) from None
    finally:
        container.close()
    if True in keys and not keys[0]:
        # A clip cut by an editor can start mid-GOP: pictures before the first keyframe
        # cannot be decoded (the decoder drops them), so they are not frames of the video.
        first = keys.index(True)
        pts, dts, keys = pts[first:], dts[first:], keys[first:]
    if not pts:
        raise MediaError(f"{path.name} contains no video frames (empty or truncated file).")
    if declared_frames > packets:
        raise MediaError(
            f"{path.name} is truncated: its header announces {plural(declared_frames, 'frame')} but only "
            f"{packets} are present."
        )
    index = _index_from_packets(pts, dts, keys, time_base, rotation, force_decode_order=is_avi)
    if not index.decode_order and declared_seconds is not None:
        _check_duration(path, index, declared_seconds, start_pts)
    return index


def _declared_duration(stream: av.video.stream.VideoStream) -> float | None:
    """The video track's own duration in seconds from the header (not the audio's)."""
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    if tag:
        try:
            hours, minutes, seconds = tag.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            pass
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _check_duration(path: Path, index: FrameIndex, declared: float, start_pts: int | None) -> None:
    """Matroska/WebM files cut short still demux cleanly; their header says how long they were."""
    if len(index) < 2:
        return
    # Matroska's duration is the last frame's end time from 0, MP4's a sum of frame durations
    # from the first: take the later of both readings, so a clip starting late never looks cut.
    start = int(index.pts[0]) if start_pts is None else min(int(start_pts), int(index.pts[0]))
    step = float(np.median(np.diff(index.pts)) * index.time_base)
    last = int(index.pts[-1])
    span = float((last - min(start, 0)) * index.time_base) + step
    if declared - span > 2.5 * step + 0.05:
        raise MediaError(
            f"{path.name} is truncated: its header announces {declared:.2f} s of video but the "
            f"frames present cover {span:.2f} s."
        )


def _index_from_packets(
    pts: list[int | None],
    dts: list[int | None],
    keys: list[bool],
    time_base: Fraction,
    rotation: int,
    force_decode_order: bool = False,
) -> FrameIndex:
    usable_pts = not force_decode_order and None not in pts and len(set(pts)) == len(pts)
    if usable_pts:
        stamps = np.asarray(pts, np.int64)
        # Open-GOP leading pictures of the first keyframe reference frames before it: gone too.
        keep = stamps >= stamps[0] if keys[0] else np.ones(len(stamps), bool)
        order = np.argsort(stamps[keep], kind="stable")
        return FrameIndex(
            pts=stamps[keep][order],
            keyframe=np.asarray(keys, bool)[keep][order],
            time_base=time_base,
            rotation=rotation,
        )
    # Decode order: the packets' own order is the frame order (see module docstring).
    stamps = dts if None not in dts else pts
    if None in stamps or any(b <= a for a, b in zip(stamps, stamps[1:], strict=False)):
        # No usable timestamps to seek by: only the very start can be sought to.
        return FrameIndex(
            pts=np.arange(len(keys), dtype=np.int64),
            keyframe=np.eye(1, len(keys), dtype=bool)[0],
            time_base=time_base,
            rotation=rotation,
            decode_order=True,
        )
    return FrameIndex(
        pts=np.asarray(stamps, np.int64),
        keyframe=np.asarray(keys, bool),
        time_base=time_base,
        rotation=rotation,
        decode_order=True,
    )


def first_frame_rotation(path: Path) -> int:
    """Clockwise display rotation, read from the first decoded frame's display matrix.

    FFmpeg attaches the container's display matrix to decoded frames; PyAV exposes no
    stream-level accessor, so one frame is decoded.
    """
    frame = decode_first_frame(path)
    return clockwise_rotation(frame)


def decode_first_frame(path: Path) -> av.VideoFrame:
    """The first picture of the video, or MediaError if none can be decoded."""
    container, stream = open_video(path)
    try:
        for frame in container.decode(stream):
            return frame
    except av.FFmpegError as exc:
        raise MediaError(f"{Path(path).name} cannot be decoded ({reason(exc)}).") from None
    finally:
        container.close()
    raise MediaError(f"{Path(path).name} contains no decodable video frames.")
