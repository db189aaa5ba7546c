"""The one inference worker: a QObject living on its own QThread that owns the SAM engine.

Jobs arrive by queued signals and wait in a priority queue (model loading, then clicks, then
precomputing); a job whose request was superseded meanwhile is skipped. Only plain data leaves
the worker. torch is first imported here, on this thread, by the first job that needs it.

A user's request always comes first (docs/adr/0012): the client notes every request that is
not background work the moment it is made (``UserRequests``, thread-safe), so a precompute
running on this thread sees it and stops, and neighbours wait while prompts are arriving.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Hashable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from videoseg_desktop.core.errors import ModelError, VideoSegError
from videoseg_desktop.ui.inference.inference_jobs import Job, ModelConfig

log = logging.getLogger(__name__)

# Model states shown by the model panel.
IDLE, LOADING, READY, ERROR, MISSING, DOWNLOADING = (
    "not loaded",
    "loading",
    "ready",
    "error",
    "missing",
    "downloading",
)


# Neighbours are precomputed only after this long without a user request: clicks come in bursts.
QUIET_S = 0.75


class UserRequests:
    """Requests a user waits for that the worker has not started yet (thread-safe).

    Written by the GUI thread as requests are made, read by a precompute on the worker thread
    between two layers of the image encoder.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, Hashable | None] = {}  # request id -> image key (or None)
        self._last_at = float("-inf")

    def arrived(self, job) -> None:
        with self._lock:
            self._waiting[job.request_id] = getattr(job, "key", None)
            self._last_at = time.monotonic()

    def started(self, request_id: int) -> None:
        with self._lock:
            self._waiting.pop(request_id, None)

    def waiting(self, except_key: Hashable | None = None) -> bool:
        """Whether a request waits that needs more than the encoding of ``except_key``."""
        with self._lock:
            return any(k is None or k != except_key for k in self._waiting.values())

    def quiet_s(self) -> float:
        """Seconds since the last user request was made."""
        with self._lock:
            return time.monotonic() - self._last_at


class RequestBook:
    """Request ids and, per slot, the newest one (thread-safe: read by the worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._latest: dict[Hashable, int] = {}

    def issue(self, slot: Hashable | None) -> int:
        with self._lock:
            request_id = next(self._ids)
            if slot is not None:
                self._latest[slot] = request_id
            return request_id

    def supersede(self, slot: Hashable) -> None:
        """Make every request of ``slot`` so far stale (e.g. after an undo)."""
        self.issue(slot)

    def is_current(self, slot: Hashable | None, request_id: int) -> bool:
        if slot is None:
            return True
        with self._lock:
            return self._latest.get(slot) == request_id


class InferenceWorker(QObject):
    answered = Signal(object)  # a job's answer dataclass
    failed = Signal(object, str)  # job, message for the user
    progress = Signal(int, int, int, str)  # request id, done, total, what
    stateChanged = Signal(str, str)  # one of the states above, detail
    modelMissing = Signal(str, str)  # model name, message
    modelLoaded = Signal(object)  # SamEngine.describe()

    def __init__(self, config: ModelConfig, book: RequestBook):
        super().__init__()
        self.config = config
        self.engine = None
        self._book = book
        self.user_requests = UserRequests()
        self.quiet_s = QUIET_S
        self.yield_to_users = True  # False only to measure the old behaviour (benchmarks)
        self._queue: list[tuple[bool, int, int, Job]] = []
        self._order = itertools.count()
        self._cancel = threading.Event()
        self._load_error: str | None = None  # set after a failed load, until reconfigured

    # -- called from the GUI thread (thread-safe) ------------------------------------------
    def request_cancel(self) -> None:
        self._cancel.set()

    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def user_waiting(self, except_key: Hashable | None = None) -> bool:
        """For background jobs: whether to stop now (a user request for other work waits)."""
        return self.yield_to_users and self.user_requests.waiting(except_key)

    # -- slots, run on the worker thread -----------------------------------------------------
    @Slot(object)
    def submit(self, job: Job) -> None:
        self._push(job)
        QTimer.singleShot(0, self._run_next)

    def requeue(self, job: Job) -> None:
        """Run ``job`` again later (a background job that gave way to a user request)."""
        self.submit(job)

    def _push(self, job: Job) -> None:
        priority = job.sort_priority() if hasattr(job, "sort_priority") else job.priority
        # Background work after every request someone waits for, whatever its priority: a
        # precompute that gave way must not be picked again before the request it gave way to.
        heapq.heappush(self._queue, (job.background, priority, next(self._order), job))

    @Slot(object)
    def configure(self, config: ModelConfig) -> None:
        """Use another model from the next job on (the current engine is released)."""
        if config == self.config and self.engine is not None:
            return  # already loaded as asked
        self.config = config
        self.engine = None
        self._load_error = None
        self.stateChanged.emit(IDLE, "")

    @Slot()
    def reset_cancel(self) -> None:
        self._cancel.clear()

    def report_progress(self, job: Job, done: int, total: int, text: str) -> None:
        self.progress.emit(job.request_id, int(done), int(total), text)

    def _run_next(self) -> None:
        if not self._queue:
            return
        *_, job = heapq.heappop(self._queue)
        if not job.background:
            self.user_requests.started(job.request_id)
        if not self._book.is_current(job.slot, job.request_id):
            return  # superseded while it waited
        if getattr(job, "waits_for_quiet", False):
            wait = self.quiet_s - self.user_requests.quiet_s()
            if wait > 0:  # prompts are arriving: try again once they pause
                self._push(job)
                QTimer.singleShot(int(wait * 1000) + 1, self._run_next)
                return
        if job.needs_engine and not self._ensure_engine():
            self.failed.emit(job, self._load_error or "the model is not loaded")
            return
        self._cancel.clear()
        try:
            answer = job.run(self)
        except VideoSegError as exc:
            self.failed.emit(job, str(exc))
            return
        except Exception as exc:  # a bug must show as a message, never kill the thread
            log.exception("inference job %s failed", type(job).__name__)
            self.failed.emit(job, f"unexpected error in {type(job).__name__}: {exc}")
            return
        if answer is not None:
            self.answered.emit(answer)

    def _ensure_engine(self) -> bool:
        if self.engine is not None:
            return True
        if self._load_error is not None:
            return False
        config = self.config
        at = "" if config.image_size == "auto" else f" at {config.image_size} px"
        self.stateChanged.emit(LOADING, f"loading {config.model}{at}")
        try:
            from videoseg_desktop.inference.engine import SamEngine

            self.engine = SamEngine.load(
                model=config.model,
                checkpoint=config.checkpoint,
                image_size=config.image_size,
                device=config.device,
                precision=config.precision,
            )
        except VideoSegError as exc:
            self._load_error = str(exc)
            if isinstance(exc, ModelError) and self._checkpoint_missing(config):
                self.stateChanged.emit(MISSING, str(exc))
                self.modelMissing.emit(config.model, str(exc))
            else:
                self.stateChanged.emit(ERROR, str(exc))
            return False
        except Exception as exc:  # e.g. a broken torch install: say so, keep running
            log.exception("loading the model failed")
            self._load_error = f"the model could not be loaded: {exc}"
            self.stateChanged.emit(ERROR, self._load_error)
            return False
        info = self.engine.describe()
        self.stateChanged.emit(READY, info.get("model_id", config.model))
        self.modelLoaded.emit(info)
        return True

    @staticmethod
    def _checkpoint_missing(config: ModelConfig) -> bool:
        from videoseg_desktop.inference.registry import OFFICIAL_MODELS, find_checkpoint

        return (
            config.checkpoint is None
            and config.model in OFFICIAL_MODELS
            and find_checkpoint(config.model) is None
        )
