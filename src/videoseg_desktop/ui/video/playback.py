"""Playback and scrubbing with frames decoded off the GUI thread.

``FrameDecoder`` owns its own reader of the video on a background thread. Playing, it decodes
sequentially a few frames ahead of the playhead (PyAV releases the GIL while decoding, so the
GUI thread only shows ready frames); scrubbing, it decodes the newest requested frame only.
``PlaybackController`` shows one decoded frame per tick at the video's own frame rate (never
faster, never bursting to catch up), wraps around a loop range, and measures the frame rate
it reaches.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.ui.video.scrub_preview import ScrubPreview

log = logging.getLogger(__name__)
AHEAD_FRAMES = 6  # decoded frames buffered ahead of the playhead (6 MB each at 1080p)
DEFAULT_FPS = 25.0


class FrameDecoder(QObject):
    """Background decoding for one video: sequential read-ahead or latest-wins seeks."""

    frameReady = Signal(int, object)  # a requested (seek) frame: number, RGB array
    failed = Signal(str)

    def __init__(
        self, open_source: Callable[[], object], frame_count: int, ahead: int = AHEAD_FRAMES
    ):
        super().__init__()
        self._open_source = open_source
        self.frame_count = int(frame_count)
        self.ahead = max(int(ahead), 1)
        self._cond = threading.Condition()
        self._seek: int | None = None
        self._play: tuple[int, int, int] | None = None  # next frame, first, last (inclusive)
        self._looping = False
        self._buffer: collections.deque[tuple[int, np.ndarray]] = collections.deque()
        self._generation = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="frame-decoder", daemon=True)
        self._thread.start()

    # -- GUI thread ------------------------------------------------------------------------
    def request(self, frame: int) -> None:
        """Decode ``frame`` soon; an older request not started yet is dropped."""
        with self._cond:
            self._seek = int(frame)
            self._cond.notify_all()

    def start_playing(self, frame: int, first: int, last: int, loop: bool) -> None:
        """Decode ``frame``, ``frame + 1``, ... up to ``last``, then ``first`` again if ``loop``."""
        with self._cond:
            self._generation += 1
            self._buffer.clear()
            self._play = (int(frame), int(first), int(last))
            self._looping = loop
            self._cond.notify_all()

    def stop_playing(self) -> None:
        with self._cond:
            self._generation += 1
            self._play = None
            self._buffer.clear()
            self._cond.notify_all()

    def take(self) -> tuple[int, np.ndarray] | None:
        """The next decoded frame of the playback, or None if it is not ready yet."""
        with self._cond:
            if not self._buffer:
                return None
            item = self._buffer.popleft()
            self._cond.notify_all()
            return item

    def buffered(self) -> int:
        with self._cond:
            return len(self._buffer)

    def finished(self) -> bool:
        """Playback decoded its last frame and everything was taken."""
        with self._cond:
            return self._play is None and not self._buffer

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    # -- decoder thread --------------------------------------------------------------------
    def _run(self) -> None:
        source = None
        sequence = None  # (generation, next frame, iterator) of the forward decode in progress
        try:
            source = self._open_source()
            while True:
                with self._cond:
                    while not self._closed and self._seek is None and not self._wants_more():
                        self._cond.wait()
                    if self._closed:
                        return
                    seek, self._seek = self._seek, None
                    play, generation = self._play, self._generation
                if seek is not None:
                    self.frameReady.emit(seek, source.read(seek))
                    continue
                frame, first, last = play
                if sequence is None or sequence[:2] != (generation, frame):
                    # One forward pass (no per-frame cache or copy), restarted on a jump.
                    sequence = (generation, frame, source.iter_frames(frame, last + 1))
                rgb = next(sequence[2])
                sequence = (generation, frame + 1, sequence[2])
                with self._cond:
                    if generation != self._generation:
                        continue  # stopped or restarted meanwhile
                    self._buffer.append((frame, rgb))
                    if frame < last:
                        self._play = (frame + 1, first, last)
                    elif self._looping:
                        self._play = (first, first, last)
                    else:
                        self._play = None
        except (VideoSegError, OSError, IndexError) as exc:
            self.failed.emit(f"the video cannot be played: {exc}")
        except Exception as exc:  # a decoding bug must not go unseen
            log.exception("frame decoder")
            self.failed.emit(f"the video cannot be played: {exc}")
        finally:
            if source is not None:
                source.close()

    def _wants_more(self) -> bool:
        return self._play is not None and len(self._buffer) < self.ahead


class PlaybackController(QObject):
    """Plays the session's video at its frame rate, showing frames the decoder made ahead."""

    playingChanged = Signal(bool)
    rateMeasured = Signal(float)  # frames shown per second over the last second
    settled = Signal()  # playback paused or scrubbing ended: the playhead is still again
    errorOccurred = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.session = None
        self.decoder: FrameDecoder | None = None
        self.fps = DEFAULT_FPS
        self.loop: tuple[int, int] | None = None
        self.loop_enabled = False
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._next_due = 0.0
        self._shown_frame = -1
        self._window: collections.deque[float] = collections.deque()
        self.shown = self.stalls = 0
        self._started = 0.0
        self.preview = ScrubPreview(self)
        self._scrub_target: int | None = None  # newest frame asked for while dragging

    # -- session ---------------------------------------------------------------------------
    def set_session(self, session) -> None:
        self.pause()
        self._close_decoder()
        if self.session is not None:
            self.session.mediaChanged.disconnect(self._on_media)
            self.session.frameChanged.disconnect(self._on_frame)
        self.session = session
        if session is not None:
            session.mediaChanged.connect(self._on_media)
            session.frameChanged.connect(self._on_frame)
        self._on_media()

    def _on_media(self, *_args) -> None:
        self.pause()
        self._close_decoder()
        self.loop = None
        media = self.session.media if self.session is not None else None
        self.preview.set_media(self.session.scrub_builds if self.session else None, media)
        if media is None or media.frame_count < 2:
            return
        self.fps = float(media.fps) if media.fps and media.fps > 0 else DEFAULT_FPS

    def _ensure_decoder(self) -> FrameDecoder | None:
        """The current video's decoder, started on first use (opening a video stays cheap)."""
        media = self.session.media if self.session is not None else None
        if self.decoder is None and media is not None and media.frame_count > 1:
            project = self.session.project
            self.decoder = FrameDecoder(lambda: project.open_frames(media), media.frame_count)
            self.decoder.frameReady.connect(self._on_decoded, Qt.ConnectionType.QueuedConnection)
            self.decoder.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        return self.decoder

    def _close_decoder(self) -> None:
        if self.decoder is not None:
            self.decoder.close()
            self.decoder.deleteLater()
            self.decoder = None

    # -- playing ---------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def range(self) -> tuple[int, int]:
        """First and last frame that playback runs through (the loop, else the whole video)."""
        media = self.session.media if self.session is not None else None
        count = media.frame_count if media is not None else 1
        if self.loop_enabled and self.loop is not None:
            return self.loop
        return 0, count - 1

    def play(self) -> bool:
        if self.playing or self._ensure_decoder() is None:
            return False
        first, last = self.range()
        frame = self.session.frame + 1
        if not first <= frame <= last:
            frame = first  # at the end (or outside the loop): start over
        self.decoder.start_playing(frame, first, last, self.loop_enabled and self.loop is not None)
        self.session.set_moving(True)
        self.shown = self.stalls = 0
        self._window.clear()
        self._started = self._next_due = time.perf_counter()
        self._timer.start(max(int(500 / self.fps), 1))  # poll at twice the frame rate
        self.playingChanged.emit(True)
        return True

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        if self.decoder is not None:
            self.decoder.stop_playing()
        if self.session is not None:
            self.session.set_moving(False)
        self.playingChanged.emit(False)
        self.settled.emit()

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def set_loop(self, first: int, last: int) -> None:
        self.loop = (min(first, last), max(first, last))
        self._restart_if_playing()

    def set_loop_enabled(self, enabled: bool) -> None:
        self.loop_enabled = bool(enabled)
        self._restart_if_playing()

    def _restart_if_playing(self) -> None:
        if self.playing:
            self.pause()
            self.play()

    def _tick(self) -> None:
        now = time.perf_counter()
        if now < self._next_due:
            return
        item = self.decoder.take()
        if item is None:
            if self.decoder.finished():
                self.pause()  # the end of the video (no loop)
            else:
                self.stalls += 1
            return
        frame, rgb = item
        self._shown_frame = frame
        self.session.show_frame(frame, rgb)
        self.shown += 1
        period = 1.0 / self.fps
        self._next_due = max(self._next_due + period, now - period)  # late: no burst after
        self._window.append(now)
        while self._window and now - self._window[0] > 1.0:
            self._window.popleft()
        if len(self._window) > 1 and self.shown % max(int(self.fps), 1) == 0:
            self.rateMeasured.emit(self.measured_fps())

    def measured_fps(self) -> float:
        """Frames shown per second over the last second of playback."""
        if len(self._window) < 2:
            return 0.0
        return (len(self._window) - 1) / (self._window[-1] - self._window[0])

    def stats(self) -> dict:
        elapsed = time.perf_counter() - self._started
        return {"shown": self.shown, "stalls": self.stalls, "seconds": elapsed,
                "fps": self.shown / elapsed if elapsed > 0 else 0.0}  # fmt: skip

    def _on_frame(self, frame: int) -> None:
        if self.playing and frame != self._shown_frame:
            self.pause()  # the user moved the playhead: go on from there
            self.play()

    # -- scrubbing -------------------------------------------------------------------------
    def scrub_to(self, frame: int) -> None:
        """Show ``frame`` as soon as the decoder has it; newer requests replace older ones."""
        if self._ensure_decoder() is None:
            if self.session is not None:
                self.session.set_frame(frame)
            return
        self.session.set_moving(True)
        self._scrub_target = frame
        picture = self.preview.picture(frame)
        if picture is not None:  # at once; the exact frame replaces it when decoded
            self.session.show_preview(frame, picture)
        self.decoder.request(frame)

    def end_scrub(self, frame: int) -> None:
        if self.session is None:
            return
        self._scrub_target = frame
        self.session.set_moving(False)
        if self.decoder is None:
            self.session.set_frame(frame)
        else:
            self.decoder.request(frame)
        self.settled.emit()

    def _on_decoded(self, frame: int, rgb) -> None:
        if self.session is None or self.playing:
            return
        if self.preview.proxy is not None and frame != self._scrub_target:
            return  # an older position: the preview of a newer one is already shown
        self.session.show_frame(frame, rgb)

    def _on_failed(self, message: str) -> None:
        self.pause()
        self.errorOccurred.emit(message)

    def close(self) -> None:
        self.set_session(None)
