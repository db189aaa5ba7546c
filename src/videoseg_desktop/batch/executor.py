"""Run per-media tasks on workers and hand their plain results back to the driver as they come.

A worker holds one model, loaded on its first task and kept for the next ones. A task is plain
data (what to run on one media item); its result is plain data too (RLE masks, scores, ids), so
it can cross a process or machine boundary and the driver alone writes the project.

``LocalExecutor`` runs one worker in this process: the path a run without ``--cluster`` takes,
and the same code the cluster's workers run. ``RayExecutor`` (``ray_executor``) runs one worker
per Ray actor. Both yield ``Outcome``s in completion order.

Progress: a worker's ``compute`` calls ``self.report(done, total)`` as it goes (per frame), and
``run(tasks, progress)`` calls ``progress(task, done, total)`` in the driver, always before that
task's ``Outcome`` and never after it. Progress is display only: a task's results are still
stored only when it returned whole (a retried task starts counting again).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaKind


class MediaUnreadable(VideoSegError):
    """A worker cannot read the media file at the driver's path: the driver ships its bytes."""


@dataclass(frozen=True)
class MediaRef:
    """Where a worker finds a media item: the driver's path when it can read it (a shared
    folder), else the file's bytes shipped with the task (``shipped``)."""

    media_id: int
    path: str
    kind: MediaKind
    size: int  # bytes: a file of another size at that path is another file

    def open(self, shipped: bytes | None, scratch: Path):
        """A frame source for the media (see media.frames.open_frames)."""
        from videoseg_desktop.media.frames import open_frames

        path = Path(self.path)
        if shipped is not None:
            if len(shipped) != self.size:
                raise VideoSegError(f"media {self.media_id} arrived damaged")
            path = scratch / f"media{self.media_id}{Path(self.path).suffix}"
            path.write_bytes(shipped)
        elif not _readable(path, self.size):
            raise MediaUnreadable(f"media {self.media_id}: {self.path} is not readable here")
        return open_frames(path, self.kind)


def _readable(path: Path, size: int) -> bool:
    try:
        return path.is_file() and path.stat().st_size == size
    except OSError:
        return False


@dataclass(frozen=True)
class Task:
    """One media item's work: ``payload`` is what the worker's ``run`` receives."""

    key: int  # the task's place in its batch (a media item may have more than one task)
    media: MediaRef
    payload: Any


@dataclass
class Outcome:
    task: Task
    result: Any = None
    error: str | None = None  # one line: the task failed (bad media, a model error)


@dataclass
class RunStats:
    retried: int = 0  # tasks sent again because their worker was lost
    shipped: int = 0  # media files sent to workers that could not read them
    workers: int = 0
    lost_workers: list[str] = field(default_factory=list)


Report = Callable[[int, int], None]  # (done, total) of one task, from its worker
OnProgress = Callable[[Task, int, int], None]  # the driver's view: (task, done, total)


class Worker(Protocol):
    def run(
        self,
        media: MediaRef,
        payload: Any,
        shipped: bytes | None = None,
        report: Report | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class WorkerSpec:
    """How to make a worker: ``cls(**kwargs)``. ``cls`` must be importable by module path on the
    cluster's nodes (the package installed there), since Ray sends it by reference."""

    cls: type
    kwargs: dict = field(default_factory=dict)
    gpus: float = 0.0  # per worker, on a cluster
    cpus: float = 1.0

    def make(self) -> Worker:
        return self.cls(**self.kwargs)


class BaseWorker:
    """Loads its model once, on the first task, and keeps a scratch folder for shipped media."""

    def __init__(self) -> None:
        self._model = None
        self._scratch: Path | None = None
        self._report: Report | None = None

    def model(self):
        if self._model is None:
            self._model = self.load()
        return self._model

    def load(self):  # pragma: no cover - subclasses
        raise NotImplementedError

    def scratch(self) -> Path:
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="videoseg-worker-"))
        return self._scratch

    def run(
        self,
        media: MediaRef,
        payload: Any,
        shipped: bytes | None = None,
        report: Report | None = None,
    ) -> Any:
        self._report = report
        try:
            with media.open(shipped, self.scratch()) as frames:
                result = self.compute(frames, payload)
            flush = getattr(report, "flush", None)
            if flush is not None:  # its last counts reach the driver before the result does
                flush()
            return result
        finally:
            self._report = None
            if shipped is not None and self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def report(self, done: int, total: int) -> None:
        """Progress of the task being computed (display only)."""
        if self._report is not None:
            self._report(done, total)

    def compute(self, frames, payload: Any) -> Any:  # pragma: no cover - subclasses
        raise NotImplementedError


class LocalExecutor:
    """One worker in this process, tasks one after another (no Ray needed)."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.stats = RunStats(workers=1)
        self._worker: Worker | None = None

    def run(self, tasks: Iterable[Task], progress: OnProgress | None = None) -> Iterator[Outcome]:
        for task in tasks:
            if self._worker is None:
                self._worker = self.spec.make()
            report = None
            if progress is not None:

                def report(done: int, total: int, task=task) -> None:
                    progress(task, done, total)

            try:
                result = self._worker.run(task.media, task.payload, None, report)
            except VideoSegError as exc:
                yield Outcome(task, error=str(exc))
                continue
            yield Outcome(task, result)

    def close(self) -> None:
        self._worker = None


def in_order(outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
    """Outcomes in task order (keys 0, 1, 2...), holding back those that come early.

    Storing in task order makes a batch's new object ids the same whatever the number of
    workers and whichever finishes first; what is held back is plain results (RLEs)."""
    waiting: dict[int, Outcome] = {}
    nxt = 0
    for outcome in outcomes:
        waiting[outcome.task.key] = outcome
        while nxt in waiting:
            yield waiting.pop(nxt)
            nxt += 1
    yield from (waiting[k] for k in sorted(waiting))


def read_media(task: Task) -> bytes:
    """The driver's copy of a task's media file, to ship to a worker that cannot read it."""
    data = Path(task.media.path).read_bytes()
    if len(data) != task.media.size:
        raise VideoSegError(f"media {task.media.media_id} changed while the batch ran")
    return data


OnOutcome = Callable[[Outcome], None]


class ProgressUnits:
    """Tasks' progress in display units (frames): ``units`` per task key. A count never goes
    back: a task sent again (its worker lost) shows nothing new until it passes its old count."""

    def __init__(self, units: dict[int, int]) -> None:
        self.units = units
        self.shown: dict[int, int] = {}
        self.done = 0

    @property
    def total(self) -> int:
        return sum(self.units.values())

    def progress(self, task: Task, done: int, total: int) -> int:
        """The units to add for this report (0 or more)."""
        units = self.units.get(task.key, 0)
        at = min(units, round(done * units / total)) if total > 0 else 0
        return self._to(task.key, at)

    def finish(self, task: Task) -> int:
        """The task's outcome arrived (a result or an error): the rest of its units."""
        return self._to(task.key, self.units.get(task.key, 0))

    def _to(self, key: int, at: int) -> int:
        step = at - self.shown.get(key, 0)
        if step <= 0:
            return 0
        self.shown[key] = at
        self.done += step
        return step
