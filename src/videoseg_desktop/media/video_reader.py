"""Frame-accurate random access to a video file through its FrameIndex.

Reading frame ``i``: seek to the keyframe at or before ``i`` and decode forward until the
decoder outputs the frame whose timestamp is ``index.pts[i]`` (a bare seek only reaches the
keyframe). Reading ``i + 1`` next continues decoding where the last read stopped, so playback
and export never re-seek. Frames decoded on the way are kept (still in YUV, unconverted) in a
small cache, so stepping back a few frames costs no new seek; converted RGB frames are kept in
another.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.media.av_utils import (
    configure_decoder,
    display_size,
    frame_to_rgb,
    open_video,
    reason,
)
from videoseg_desktop.media.frame_index import FrameIndex, build_frame_index

# Converted frames kept for repeated reads of the same frame (redraws, inference after display);
# fewer than the decoded ones, since RGB takes twice the memory of YUV 4:2:0.
_RGB_CACHE_FRAMES = 4
# Continuing to decode forward beats a seek unless the target's keyframe lies this many frames
# past the current position (a seek refills the decoder's frame-thread pipeline).
_SEEK_COST_FRAMES = 4
_NOT_YET = 1 << 62  # clean_from before any keyframe has been decoded


class _Overshoot(Exception):
    """The decoder passed the wanted frame without producing it cleanly."""


class VideoReader:
    """Random and sequential RGB access to the frames of one video. Thread-safe.

    ``cache_size``: decoded frames kept around the playhead (YUV, ~1.5 bytes per pixel:
    3 MB each at 1080p). ``thread_type``: FFmpeg decoder threading ("AUTO", "FRAME",
    "SLICE" or "NONE").
    """

    def __init__(
        self,
        path: Path,
        index: FrameIndex | None = None,
        cache_size: int = 16,
        thread_type: str = "AUTO",
    ):
        self.path = Path(path)
        self._thread_type = thread_type
        self.index = index if index is not None else build_frame_index(self.path)
        if len(self.index) == 0:
            raise MediaError(f"{self.path.name} contains no video frames.")
        self._cache_size = max(1, int(cache_size))
        self._rgb: OrderedDict[int, np.ndarray] = OrderedDict()
        self._decoded: OrderedDict[int, av.VideoFrame] = OrderedDict()
        self._lock = threading.RLock()
        self._container = None
        self._stream = None
        self._frames: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._next = 0  # frame number the running decoder will produce next
        self._clean_from = _NOT_YET
        self._open()
        ctx = self._stream.codec_context
        self.coded_width, self.coded_height = ctx.width, ctx.height
        self.width, self.height = display_size(ctx.width, ctx.height, self.index.rotation)
        self.fps = self._frame_rate()
        self.seeks = 0  # how many seeks were made (tests and benchmarks read it)

    # -- public API -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.index)

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rotation(self) -> int:
        return self.index.rotation

    def read(self, i: int) -> np.ndarray:
        """Frame ``i`` as an upright H,W,3 uint8 RGB array (a fresh copy the caller may keep)."""
        i = self._check(i)
        with self._lock:
            cached = self._rgb.get(i)
            if cached is None:
                cached = frame_to_rgb(self._frame(i), self.index.rotation)
                self._rgb[i] = cached
                while len(self._rgb) > min(self._cache_size, _RGB_CACHE_FRAMES):
                    self._rgb.popitem(last=False)
            else:
                self._rgb.move_to_end(i)
            return cached.copy()

    def iter_frames(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Frames ``start`` .. ``stop - 1`` in order, decoded in one forward pass."""
        stop = len(self) if stop is None else min(int(stop), len(self))
        if int(start) >= stop:
            return
        for i in range(self._check(start), stop):
            with self._lock:
                frame = self._frame(i)
            yield frame_to_rgb(frame, self.index.rotation)

    def frame_time(self, i: int) -> float:
        """Seconds from the first frame to frame ``i`` (display only; frames are numbered)."""
        return self.index.seconds(self._check(i))

    def close(self) -> None:
        with self._lock:
            self._frames = None
            self._decoded.clear()
            self._rgb.clear()
            if self._container is not None:
                self._container.close()
                self._container = None

    # -- decoding ---------------------------------------------------------------------------

    def _check(self, i: int) -> int:
        i = int(i)
        if not 0 <= i < len(self.index):
            raise IndexError(f"frame {i} is out of range (the video has {len(self.index)})")
        if self._container is None:
            raise MediaError(f"{self.path.name}: the video reader is closed.")
        return i

    def _frame(self, i: int) -> av.VideoFrame:
        """Decoded (YUV) frame ``i``: from the cache, by decoding on, or after a seek."""
        frame = self._decoded.get(i)
        if frame is not None:
            self._decoded.move_to_end(i)
            return frame
        key = self.index.keyframe_at_or_before(i)
        plan: list[int | None] = []  # where to (re)start decoding, in order of preference
        if self._frames is not None and key - _SEEK_COST_FRAMES <= self._next <= i:
            plan.append(-1)  # -1: carry on from the current position
        plan.append(key)
        earlier = self.index.keyframe_at_or_before(max(key - 1, 0))
        if earlier < key:
            plan.append(earlier)  # a seek may land after the keyframe it was asked for
        plan.append(None)  # last resort: decode from the very start of the file
        for start in plan:
            if start != -1:
                self._seek(start)
            try:
                return self._decode_until(i)
            except _Overshoot:
                continue
            except av.FFmpegError as exc:
                self._frames = None
                raise MediaError(
                    f"{self.path.name}: frame {i} cannot be decoded ({reason(exc)})."
                ) from None
        self._frames = None
        raise MediaError(
            f"{self.path.name}: frame {i} cannot be decoded (the file may be truncated or corrupt)."
        )

    def _decode_until(self, i: int) -> av.VideoFrame:
        if self._frames is None:
            raise _Overshoot
        for n, frame in self._frames:
            self._next = n + 1
            if n >= self._clean_from:
                self._decoded[n] = frame
                while len(self._decoded) > self._cache_size:
                    self._decoded.popitem(last=False)
            if n == i and n >= self._clean_from:
                return frame
            if n >= i:
                break
        self._frames = None
        raise _Overshoot

    def _seek(self, key: int | None) -> None:
        """Restart decoding at keyframe ``key``; None means from the start of the file."""
        self.seeks += 1
        from_start = key is None or (key == 0 and (self._fresh or self.index.decode_order))
        if not from_start:
            try:
                self._container.seek(int(self.index.pts[key]), stream=self._stream, backward=True)
            except av.FFmpegError:
                from_start = True
            else:
                self._fresh = False
                self._frames = self._generate(from_start=False)
                return
        if not self._fresh:
            self._container.close()
            self._open()  # reopening is the one sure way back to the first packet
        self._fresh = False
        self._frames = self._generate(from_start=True)

    def _open(self) -> None:
        self._container, self._stream = open_video(self.path)
        configure_decoder(self._stream, self._thread_type)
        self._fresh = True
        self._frames = None
        self._clean_from = _NOT_YET

    def _generate(self, from_start: bool) -> Iterator[tuple[int, av.VideoFrame]]:
        """Decode from the current container position, numbering frames through the index."""
        index = self.index
        self._clean_from = 0 if from_start else _NOT_YET
        count = 0 if from_start else None  # decode-order numbering: next output frame's number
        for packet in self._container.demux(self._stream):
            if packet.size == 0 and (packet.pts is not None or packet.dts is not None):
                continue  # an AVI "dropped frame" placeholder; an empty packet would flush
            if packet.size and packet.is_keyframe and self._clean_from == _NOT_YET:
                self._clean_from = self._keyframe_number(packet)
                if index.decode_order and count is None and self._clean_from != _NOT_YET:
                    count = self._clean_from  # numbering starts here after a seek
            try:
                decoded = packet.decode()
            except av.InvalidDataError:
                # A damaged packet. Pictures decoded from here until the next keyframe may be
                # broken: none of them counts as clean, so reads of them fail loudly instead
                # of returning a wrong picture. Counting output frames is lost for good.
                if index.decode_order:
                    return
                self._clean_from = _NOT_YET
                continue
            for frame in decoded:
                if index.decode_order:
                    if count is None:
                        continue
                    n, count = count, count + 1
                else:
                    n = index.frame_of_pts(frame.pts) if frame.pts is not None else None
                    if n is None:
                        continue  # edit-list preroll or a picture the index does not list
                if frame.is_corrupt:
                    # Concealed decoding errors: this picture and those predicted from it are
                    # damaged until the next keyframe; never hand them out.
                    self._clean_from = _NOT_YET
                    continue
                yield n, frame

    def _keyframe_number(self, packet: av.Packet) -> int:
        """Frame number of a keyframe packet met after a seek (clean decoding starts there)."""
        stamp = packet.dts if self.index.decode_order else packet.pts
        n = self.index.frame_of_pts(stamp) if stamp is not None else None
        # Only trust the number if the index agrees this frame starts a keyframe interval.
        return n if n is not None and self.index.keyframe[n] else _NOT_YET

    def _frame_rate(self) -> float | None:
        rate = self._stream.average_rate or self._stream.guessed_rate
        if rate:
            return float(rate)
        span = float((self.index.pts[-1] - self.index.pts[0]) * self.index.time_base)
        return (len(self.index) - 1) / span if span > 0 else None
