"""The Ray side of batch runs: the only module that imports ``ray`` (lazily, on ``--cluster``).

Each worker is a Ray actor holding one model (``WorkerSpec``): an actor gets one task at a time,
so its model is loaded once and used for every media item it is given. Results come back as
plain data in completion order. A worker lost mid-task (its process or node died, the OOM
killer) is replaced by a new actor, which Ray places wherever resources are free, and the task
is sent again: nothing was stored for it yet, because the driver stores a task's results only
when they arrive whole. A worker that cannot read a media file at the driver's path gets the
file's bytes through Ray's object store instead.

Progress: workers send their tasks' frame counts to a small board actor (at most every
``SEND_EVERY_S``, and the last count before the task returns, waited for); the driver reads the
board while it waits for results and hands the counts on, dropping those of finished tasks and
of lost attempts, so a task's progress always comes before its outcome.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import time
from collections import deque
from collections.abc import Iterable, Iterator

from videoseg_desktop.batch.executor import (
    MediaUnreadable,
    OnProgress,
    Outcome,
    RunStats,
    Task,
    WorkerSpec,
    read_media,
)
from videoseg_desktop.core.errors import VideoSegError

EXTRA_HINT = "pip install 'videoseg-desktop[cluster]'"
MAX_ATTEMPTS = 3  # a task whose workers die this often is reported, not retried forever
CONNECT_TIMEOUT_S = 5.0
SEND_EVERY_S = 0.2  # a worker sends its frame count at most this often
POLL_S = 0.25  # the driver reads the progress board at least this often while it waits


def import_ray():
    try:
        import ray
    except ImportError:
        raise VideoSegError(
            f"--cluster needs Ray, which is not installed: {EXTRA_HINT} (the 'cluster' extra)"
        ) from None
    return ray


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """One quick TCP connect, so a wrong address is one line in seconds, not Ray's long
    reconnect loop. ``auto`` (a cluster started on this machine) is left to Ray."""
    hostport = address.removeprefix("ray://")
    if address == "auto" or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise VideoSegError(
            f"cannot reach the Ray cluster at {address}: {reason or 'no answer'} "
            "(start it with `ray start --head` and pass the address it prints)"
        ) from None


_started_here = False  # this process started or joined Ray for a batch: it leaves it after


def connect(address: str, local_cpus: int | None = None) -> None:
    """Join the cluster at ``address`` (``local``: start a head of this machine's processes).
    Already connected (a test, an embedding program): kept as it is."""
    global _started_here
    ray = import_ray()
    if ray.is_initialized():
        return
    options = {"include_dashboard": False, "logging_level": "error", "log_to_driver": False}
    if address == "local":
        # Workers import this package as the driver does (a checkout run from source too).
        path = os.environ.get("PYTHONPATH")
        env = {"env_vars": {"PYTHONPATH": path}} if path else None
        try:
            ray.init(num_cpus=local_cpus or os.cpu_count(), runtime_env=env, **options)
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; one line
            raise VideoSegError(f"cannot start a local Ray cluster: {_line(exc)}") from None
    else:
        check_reachable(address)
        try:
            ray.init(address=address, **options)
        except Exception as exc:  # noqa: BLE001
            raise VideoSegError(
                f"cannot connect to the Ray cluster at {address}: {_line(exc)}"
            ) from None
    _started_here = True


def disconnect() -> None:
    global _started_here
    if _started_here:
        import_ray().shutdown()
        _started_here = False


class RayExecutor:
    """Workers as Ray actors on the cluster at ``address`` (``local``: a head started here)."""

    def __init__(
        self,
        address: str,
        spec: WorkerSpec,
        workers: int | None = None,
        ship_media: bool = False,
        local_cpus: int | None = None,
    ) -> None:
        self.ray = ray = import_ray()
        self.spec = spec
        self.ship_media = ship_media
        self.stats = RunStats()
        connect(address, local_cpus or workers)
        resources = ray.cluster_resources()
        self.resources = {k: resources.get(k, 0.0) for k in ("CPU", "GPU")}
        if spec.gpus > self.resources["GPU"]:  # its actors would wait for a GPU forever
            raise VideoSegError(
                f"the Ray cluster has {self.resources['GPU']:g} GPUs, a worker needs "
                f"{spec.gpus:g}; pass --gpus-per-worker 0 to run on its CPUs"
            )
        self.workers = workers or self._fitting_workers()
        self._actor_class = ray.remote(
            num_cpus=spec.cpus, num_gpus=spec.gpus, max_restarts=0, max_task_retries=0
        )(spec.cls)
        self._shipped: dict[int, object] = {}  # media id -> object ref of its bytes
        self._actors: list = []
        self._board = None  # the progress board actor, made on the first run that wants progress

    def _fitting_workers(self) -> int:
        if self.spec.gpus > 0:
            return max(1, int(self.resources["GPU"] // self.spec.gpus))
        return max(1, int(self.resources["CPU"] // max(self.spec.cpus, 0.01)))

    def _new_actor(self):
        return self._actor_class.remote(**self.spec.kwargs)

    def run(self, tasks: Iterable[Task], progress: OnProgress | None = None) -> Iterator[Outcome]:
        ray = self.ray
        from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

        queue = deque((task, 1) for task in tasks)
        # Workers stay up between runs of this executor (their models loaded); new ones are
        # started up to ``workers``, no more than there are tasks.
        while len(self._actors) < min(self.workers, len(queue)):
            self._actors.append(self._new_actor())
        idle = deque(self._actors)
        self.stats.workers = max(self.stats.workers, len(self._actors))
        pending: dict = {}  # object ref -> (task, attempt, actor)
        board = None if progress is None else self._progress_board()
        current: dict[int, tuple[Task, int]] = {}  # task key -> (task, attempt) running now

        def read_board() -> None:
            events = []
            with contextlib.suppress(Exception):  # progress is display only: a lost board too
                events = ray.get(board.take.remote(), timeout=30)
            for key, attempt, done, total in events:
                running = current.get(key)
                if running is not None and running[1] == attempt:
                    progress(running[0], done, total)

        try:
            while queue or pending:
                while queue and idle:
                    task, attempt = queue.popleft()
                    actor = idle.popleft()
                    shipped = self._shipped.get(task.media.media_id)
                    if shipped is None and self.ship_media:
                        shipped = self._ship(task)
                    report = None if board is None else _Sender(board, task.key, attempt)
                    ref = actor.run.remote(task.media, task.payload, shipped, report)
                    pending[ref] = (task, attempt, actor)
                    current[task.key] = (task, attempt)
                if board is None:
                    ready, _ = ray.wait(list(pending), num_returns=1)
                else:
                    ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
                    read_board()  # a finished task's last counts are on it by now
                    if not ready:
                        continue
                task, attempt, actor = pending.pop(ready[0])
                current.pop(task.key, None)
                try:
                    result = ray.get(ready[0])
                except (RayActorError, WorkerCrashedError) as exc:
                    # The worker is gone with its model: a fresh one takes the task elsewhere.
                    self.stats.lost_workers.append(_line(exc))
                    with contextlib.suppress(Exception):
                        ray.kill(actor)
                    replacement = self._new_actor()
                    self._actors[self._actors.index(actor)] = replacement
                    idle.append(replacement)
                    if attempt >= MAX_ATTEMPTS:
                        yield Outcome(task, error=f"its worker was lost {attempt} times")
                    else:
                        self.stats.retried += 1
                        queue.appendleft((task, attempt + 1))
                    continue
                except RayTaskError as exc:
                    idle.append(actor)
                    cause = exc.cause
                    if (
                        isinstance(cause, MediaUnreadable)
                        and task.media.media_id not in self._shipped
                    ):
                        self._ship(task)
                        queue.appendleft((task, attempt))
                    elif isinstance(cause, VideoSegError):
                        yield Outcome(task, error=str(cause))
                    else:
                        yield Outcome(task, error=f"worker error: {_line(cause or exc)}")
                    continue
                idle.append(actor)
                self._shipped.pop(task.media.media_id, None)
                yield Outcome(task, result)
        finally:
            if pending:  # stopped early (Ctrl-C, an error): their work is not wanted
                for ref, (_, _, actor) in pending.items():
                    with contextlib.suppress(Exception):
                        ray.cancel(ref, force=True)
                    with contextlib.suppress(Exception):
                        ray.kill(actor)
                    self._actors.remove(actor)

    def _progress_board(self):
        if self._board is None:
            self._board = self.ray.remote(num_cpus=0)(_Board).remote()
        return self._board

    def _ship(self, task: Task):
        ref = self._shipped[task.media.media_id] = self.ray.put(read_media(task))
        self.stats.shipped += 1
        return ref

    def close(self) -> None:
        for actor in self._actors:
            with contextlib.suppress(Exception):
                self.ray.kill(actor)
        self._actors.clear()
        if self._board is not None:
            with contextlib.suppress(Exception):
                self.ray.kill(self._board)
            self._board = None
        self._shipped.clear()
        disconnect()


class _Board:
    """Frame counts sent by workers, taken by the driver (a Ray actor without a CPU)."""

    def __init__(self) -> None:
        self.events: list[tuple[int, int, int, int]] = []

    def put(self, key: int, attempt: int, done: int, total: int) -> None:
        self.events.append((key, attempt, done, total))

    def take(self) -> list[tuple[int, int, int, int]]:
        events, self.events = self.events, []
        return events


class _Sender:
    """A worker's ``report`` on the cluster: sends (task, attempt, done, total) to the board,
    at most every SEND_EVERY_S; ``flush`` sends the last count and waits until the board has
    it, so the driver reads it before it sees the task's result."""

    def __init__(self, board, key: int, attempt: int) -> None:
        self.board, self.key, self.attempt = board, key, attempt
        self._sent_at = -math.inf
        self._unsent: tuple[int, int] | None = None
        self._last_ref = None

    def __getstate__(self):
        return {"board": self.board, "key": self.key, "attempt": self.attempt}

    def __setstate__(self, state) -> None:
        self.__init__(state["board"], state["key"], state["attempt"])

    def __call__(self, done: int, total: int) -> None:
        self._unsent = (done, total)
        if time.monotonic() - self._sent_at >= SEND_EVERY_S:
            self._send()

    def _send(self) -> None:
        if self._unsent is not None:
            self._last_ref = self.board.put.remote(self.key, self.attempt, *self._unsent)
            self._unsent = None
            self._sent_at = time.monotonic()

    def flush(self) -> None:
        self._send()
        if self._last_ref is not None:
            import ray

            with contextlib.suppress(Exception):
                ray.get(self._last_ref, timeout=10)


def _line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "...") if len(text) > 300 else text or type(exc).__name__
