"""Thumbnails made and read off the GUI thread, newest requests first.

When the user scrolls fast through a long list, the items that scrolled past are not worth
loading any more: requests form a bounded stack (the oldest fall off) served newest first.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)
MAX_PENDING = 256


class _Drain(QRunnable):
    def __init__(self, loader: ThumbnailLoader):
        super().__init__()
        self.loader = loader

    def run(self) -> None:
        self.loader._drain()


class ThumbnailLoader(QObject):
    """``request(key, make_path)``: ``make_path()`` runs on a pool thread and returns the
    thumbnail file; ``loaded(key, QImage)`` arrives on the GUI thread (a null image on failure)."""

    loaded = Signal(object, QImage)

    def __init__(self, threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._lock = threading.Lock()
        self._pending: OrderedDict[object, Callable[[], Path]] = OrderedDict()
        self._running = 0
        self._threads = threads
        self._closed = False

    def request(self, key, make_path: Callable[[], Path]) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending.pop(key, None)
            self._pending[key] = make_path  # newest at the end
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
            if self._running < self._threads:
                self._running += 1
                self._pool.start(_Drain(self))

    def is_pending(self, key) -> bool:
        with self._lock:
            return key in self._pending

    def dropped(self, key) -> bool:
        """True once ``key`` is neither pending nor being loaded (it may be requested again)."""
        return not self.is_pending(key)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._pending or self._closed:
                    self._running -= 1
                    return
                key, make_path = self._pending.popitem(last=True)
            image = QImage()
            try:
                path = make_path()
                image = QImage(str(path))
            except Exception as exc:  # a broken file gets a blank tile, never a crash
                log.warning("thumbnail for %s failed: %s", key, exc)
            self.loaded.emit(key, image)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending.clear()
        self._pool.waitForDone(5000)
