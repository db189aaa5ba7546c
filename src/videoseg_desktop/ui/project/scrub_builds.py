"""Scrub proxies built in the background, one video at a time, after import or on first open.

Import only queues the new videos here and returns; one low-priority thread (``nice`` 19 where
the system allows it per thread) then builds their proxies (media/scrub_proxy) in turn. The
build holds (between two frames) while the user plays, scrubs or tracks (``hold``), so it never
takes decoding time from them; the user can cancel what is left. A video opened in the studio
without a proxy (imported earlier, by the CLI, or cancelled) jumps the queue. Read-only
projects get none built: the cache would be written for a project the user chose not to change.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import deque

from PySide6.QtCore import QObject, Signal

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.media import scrub_proxy
from videoseg_desktop.media.scrub_proxy import build_scrub_proxy, media_proxy_dir, open_scrub_proxy

log = logging.getLogger(__name__)
MIN_FRAMES = scrub_proxy.MIN_FRAMES  # shorter videos decode fast enough without a proxy
LOW_PRIORITY = 19  # alone it still built as fast as at normal priority (bench_playback)
USER_POLL_S = 0.05  # how often a build waiting for the user's clicks looks again


class ScrubProxyBuilds(QObject):
    # media id, frames done, frames in that video, videos left (this one included); any thread
    progressed = Signal(int, int, int, int)
    built = Signal(int)  # media id whose proxy is now complete
    heldChanged = Signal(bool)  # paused for the user's playback or tracking, or running again
    idle = Signal()  # nothing queued or building any more

    def __init__(self, project, parent: QObject | None = None):
        super().__init__(parent)
        self.project = project
        self._cond = threading.Condition()
        # MediaItems, looked up on the GUI thread: the database is not for other threads.
        self._queue: deque = deque()
        self._current = None
        self._cancel = threading.Event()
        self._holds: set[str] = set()
        self._closed = False
        self._thread: threading.Thread | None = None
        # Asked between two frames from the build thread (thread-safe): True while the user's
        # clicks are being answered, so a mask never waits on a proxy (set by the window).
        self.user_active = lambda: False

    # -- GUI thread ------------------------------------------------------------------------
    def folder(self, media):
        return media_proxy_dir(self.project.cache_dir, media.id, media.sha256)

    def needs_proxy(self, media) -> bool:
        return (
            not self.project.read_only
            and media.frame_count >= MIN_FRAMES
            and open_scrub_proxy(self.folder(media), media.frame_count) is None
        )

    def enqueue(self, media_ids) -> int:
        """Queue the proxies of these media (videos only, missing ones only); returns how many."""
        added = 0
        for media_id in media_ids:
            try:
                media = self.project.media.get(int(media_id))
            except VideoSegError:
                continue
            if not self.needs_proxy(media):
                continue
            with self._cond:
                if media.id not in self._ids():
                    self._queue.append(media)
                    added += 1
        if added:
            self._start()
        return added

    def prefer(self, media) -> None:
        """The user opened ``media``: build its proxy next (now, if another one is building:
        that one starts again later)."""
        if media is None or not self.needs_proxy(media):
            return
        with self._cond:
            if self._current is not None and self._current.id == media.id:
                return
            self._queue = deque(m for m in self._queue if m.id != media.id)
            self._queue.appendleft(media)
            if self._current is not None:
                self._queue.insert(1, self._current)
                self._cancel.set()
            self._cond.notify_all()
        self._start()

    def hold(self, reason: str, on: bool) -> None:
        """Pause building while any reason holds (playback, scrubbing, tracking)."""
        with self._cond:
            before = bool(self._holds)
            (self._holds.add if on else self._holds.discard)(reason)
            now = bool(self._holds)
            self._cond.notify_all()
        if now != before:
            self.heldChanged.emit(now)

    @property
    def held(self) -> bool:
        with self._cond:
            return bool(self._holds)

    def pending(self) -> list[int]:
        """Media ids still to build, the one building first."""
        with self._cond:
            return self._ids()

    def _ids(self) -> list[int]:
        return [m.id for m in ([self._current] if self._current else []) + list(self._queue)]

    def cancel(self) -> None:
        """Drop everything queued and stop the build in progress (nothing half-built is kept)."""
        with self._cond:
            self._queue.clear()
            self._cancel.set()
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cancel.set()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _start(self) -> None:
        with self._cond:
            if self._thread is not None or self._closed:
                self._cond.notify_all()
                return
            self._thread = threading.Thread(target=self._run, name="scrub-builds", daemon=True)
        self._thread.start()

    # -- builder thread --------------------------------------------------------------------
    def _run(self) -> None:
        _lower_priority()
        while True:
            with self._cond:
                while not self._closed and not self._queue:
                    self._current = None
                    self.idle.emit()
                    self._cond.wait()
                if self._closed:
                    self._current = None
                    return
                media = self._current = self._queue.popleft()
                self._cancel.clear()
            done = self._build(media)
            with self._cond:
                self._current = None  # before ``built``: a listener sees it no longer pending
            if done:
                self.built.emit(media.id)

    def _build(self, media) -> bool:
        if not self.needs_proxy(media):
            return False
        media_id, total = media.id, media.frame_count

        def progress(done: int, _count: int) -> None:
            with self._cond:
                left = 1 + len(self._queue)
            self.progressed.emit(media_id, done, total, left)

        progress(0, total)  # shown at once, even while held
        try:
            with self.project.open_frames(media) as frames:
                return build_scrub_proxy(
                    frames, self.folder(media), on_progress=progress, cancel=self._cancel,
                    gate=self._wait_while_held,
                )  # fmt: skip
        except (OSError, VideoSegError) as exc:  # a convenience: never an error dialog
            log.warning("no scrub proxy for %s: %s", media.original_name, exc)
            return False

    def _wait_while_held(self) -> None:
        with self._cond:
            while not self._cancel.is_set() and not self._closed:
                if self._holds:
                    self._cond.wait()
                elif self.user_active():
                    self._cond.wait(USER_POLL_S)  # no signal for "answered": look again soon
                else:
                    return


def _lower_priority() -> None:
    """Linux sets niceness per thread (a thread id is a process id to setpriority): the
    build then only gets the CPU the user's work leaves, and FFmpeg's decoding threads, started
    from this thread, inherit it. Elsewhere the build runs at normal priority."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere a thread id is no process id: setpriority could hit another process
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
