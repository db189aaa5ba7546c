"""Work for the inference worker: plain job objects in, plain answers out (numpy, ids, text).

Each job runs on the worker thread through ``run(worker)``; the engine and the model code are
reached only there. Jobs with a ``slot`` can be superseded: only the newest request of a slot
is current, and older ones are skipped before they run and dropped when they answer.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import Rle
from videoseg_desktop.core.prompts import Box, Point


@dataclass(frozen=True)
class ModelConfig:
    """Which model the worker loads. ``checkpoint`` overrides where the weights come from."""

    model: str = "tiny"
    checkpoint: str | None = None
    image_size: int | str = "auto"  # "auto": 512 on a CPU, 1024 on a GPU (chosen at load)
    device: str | None = None  # None: best available (cuda > mps > cpu)
    precision: str = "auto"


@dataclass(frozen=True)
class FrameRef:
    """Where the worker can read a frame itself (for precomputing neighbours)."""

    path: str
    kind: str
    index_path: str | None
    frame: int = 0

    def read(self) -> np.ndarray:
        from videoseg_desktop.core.records import MediaKind
        from videoseg_desktop.media.frames import open_frames

        index = Path(self.index_path) if self.index_path else None
        with open_frames(Path(self.path), MediaKind(self.kind), index) as source:
            return source.read(self.frame)


@dataclass
class Job:
    priority: ClassVar[int] = 5  # lower runs sooner
    needs_engine: ClassVar[bool] = True
    # Background work (precomputing) yields to every other job: someone waits for those.
    background: ClassVar[bool] = False
    request_id: int = field(default=0, init=False)
    submitted_at: float = field(default_factory=time.perf_counter, init=False)

    @property
    def slot(self) -> Hashable | None:
        """Requests sharing a slot supersede each other; None: never superseded."""
        return None

    def run(self, worker):  # pragma: no cover - abstract
        raise NotImplementedError


# -- answers --------------------------------------------------------------------------------
@dataclass(frozen=True)
class MaskAnswer:
    request_id: int
    slot: Hashable
    object_id: int
    media_id: int
    frame: int
    mask: np.ndarray
    rle: Rle
    score: float
    engine_s: float  # the engine's own time (encoding included when it was not cached)
    encode_s: float
    model_id: str
    submitted_at: float
    from_edit: bool = False  # refined from a hand-edited mask (stored as "edited" again)
    started_at: float = 0.0  # perf_counter when the worker took the job (latency breakdowns)
    finished_at: float = 0.0


@dataclass(frozen=True)
class PrecomputeAnswer:
    request_id: int
    key: Hashable
    encoded: bool
    seconds: float
    abandoned: bool = False  # a user request came first; the job runs again later


@dataclass(frozen=True)
class WarmupAnswer:
    request_id: int
    device: str  # what "auto" resolves to here
    seconds: float


@dataclass(frozen=True)
class ModelAnswer:
    request_id: int
    info: dict  # SamEngine.describe()


@dataclass(frozen=True)
class DownloadAnswer:
    request_id: int
    model: str
    path: str


@dataclass(frozen=True)
class ImportAnswer:
    request_id: int
    model: str  # the name it is now known by
    path: str


# -- jobs -----------------------------------------------------------------------------------
@dataclass
class WarmupJob(Job):
    """Import torch and the model code in the worker thread, once the window is up."""

    priority: ClassVar[int] = 0
    needs_engine: ClassVar[bool] = False
    device: str | None = None

    def run(self, worker) -> WarmupAnswer:
        start = time.perf_counter()
        from videoseg_desktop.inference.device import choose_device
        from videoseg_desktop.inference.engine import SamEngine  # noqa: F401 (the import is the work)

        try:
            device = choose_device(self.device)
        except VideoSegError as exc:
            device = f"unavailable ({exc})"
        return WarmupAnswer(self.request_id, device, time.perf_counter() - start)


@dataclass
class LoadModelJob(Job):
    """Load (or reload) the configured model now."""

    priority: ClassVar[int] = 0

    def run(self, worker) -> ModelAnswer:
        return ModelAnswer(self.request_id, worker.engine.describe())


@dataclass
class MaskJob(Job):
    """One object's prompts on one frame -> its mask."""

    priority: ClassVar[int] = 1
    object_id: int = 0
    media_id: int = 0
    frame: int = 0
    key: Hashable = None  # embedding cache key: (media sha256, frame)
    image: np.ndarray | None = None
    points: tuple[Point, ...] = ()
    box: Box | None = None
    mask_prompt: np.ndarray | None = None  # a hand-edited mask to refine (docs/adr/0003)

    @property
    def slot(self) -> Hashable:
        return ("mask", self.object_id, self.media_id, self.frame)

    def run(self, worker) -> MaskAnswer:
        started_at = time.perf_counter()
        session = worker.engine.image_session()
        result = session.predict(
            self.key, self.image, self.points, self.box, mask_prompt=self.mask_prompt
        )
        return MaskAnswer(
            request_id=self.request_id,
            slot=self.slot,
            object_id=self.object_id,
            media_id=self.media_id,
            frame=self.frame,
            mask=result.mask,
            rle=result.rle,
            score=result.score,
            engine_s=result.elapsed_s,
            encode_s=result.encode_s,
            model_id=worker.engine.model_id,
            submitted_at=self.submitted_at,
            from_edit=self.mask_prompt is not None,
            started_at=started_at,
            finished_at=time.perf_counter(),
        )


@dataclass
class PrecomputeJob(Job):
    """Encode an image ahead of the first click (the current one first, then neighbours).

    It never loads the model by itself: the model loads on first use. It is background work
    (docs/adr/0012): neighbours wait while prompts are arriving, and a running encoding stops
    between two layers of the encoder as soon as a user request for another image is waiting,
    then goes back to the queue.
    """

    priority: ClassVar[int] = 3
    needs_engine: ClassVar[bool] = False
    background: ClassVar[bool] = True
    key: Hashable = None
    frame_ref: FrameRef | None = None
    image: np.ndarray | None = None
    urgent: bool = False  # the image on screen (runs before neighbours)
    abandoned: int = 0  # how often a user request made it stop

    def run(self, worker) -> PrecomputeAnswer | None:
        if worker.engine is None:
            return None
        from videoseg_desktop.inference.image_session import EncodingAbandoned

        session = worker.engine.image_session()
        if session.has_embedding(self.key):
            return PrecomputeAnswer(self.request_id, self.key, False, 0.0)
        start = time.perf_counter()
        if self.image is None:
            self.image = self.frame_ref.read()  # kept: a second try needs no second decode
        try:
            encoded = session.precompute(
                self.key, self.image, should_yield=lambda: worker.user_waiting(self.key)
            )
        except EncodingAbandoned:
            self.abandoned += 1
            worker.requeue(self)
            return PrecomputeAnswer(
                self.request_id, self.key, False, time.perf_counter() - start, abandoned=True
            )
        self.image = None
        return PrecomputeAnswer(self.request_id, self.key, encoded, time.perf_counter() - start)

    def sort_priority(self) -> int:
        return 2 if self.urgent else self.priority

    @property
    def waits_for_quiet(self) -> bool:
        """Neighbours wait until the user has stopped prompting for a moment."""
        return not self.urgent


@dataclass
class DownloadJob(Job):
    """Download an official checkpoint; cancellable between chunks."""

    priority: ClassVar[int] = 0
    needs_engine: ClassVar[bool] = False
    model: str = "tiny"

    def run(self, worker) -> DownloadAnswer:
        from videoseg_desktop.inference.download import download_model

        def progress(done: int, total: int) -> None:
            worker.report_progress(self, done, total, f"Downloading {self.model}")
            if worker.cancel_requested():
                raise DownloadCancelled("the download was cancelled; it resumes next time")

        path = download_model(self.model, progress)
        return DownloadAnswer(self.request_id, self.model, str(path))


@dataclass
class ImportJob(Job):
    """Import a SAM 2.1 checkpoint file into the models folder (``videoseg models import``).

    On the worker: checking that the weights fit an architecture needs torch.
    """

    priority: ClassVar[int] = 0
    needs_engine: ClassVar[bool] = False
    path: str = ""

    def run(self, worker) -> ImportAnswer:
        from videoseg_desktop.inference.checkpoint import import_checkpoint
        from videoseg_desktop.inference.registry import OFFICIAL_MODELS, official_path

        dest = import_checkpoint(Path(self.path))
        official = [n for n in OFFICIAL_MODELS if official_path(n) == dest]
        return ImportAnswer(self.request_id, official[0] if official else dest.stem, str(dest))


class DownloadCancelled(VideoSegError):
    """The user cancelled a download (the partial file is kept for resuming)."""
