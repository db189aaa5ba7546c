"""The Ray side of batch runs: the only module that imports ``ray`` (lazily, on ``--cluster``).

Each worker is a Ray actor holding one model (``WorkerSpec``): an actor gets one task at a time,
so its model is loaded once and used for every media item it is given. Results come back as
plain data in completion order. A worker lost mid-task (its process or node died, the OOM
killer) is replaced by a new actor, which Ray places wherever resources are free, and the task
is sent again: nothing was stored for it yet, because the driver stores a task's results only
when they arrive whole. A worker that cannot read a media file at the driver's path gets the
file's bytes through Ray's object store instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections import deque
from collections.abc import Iterable, Iterator

from videoseg_desktop.batch.executor import (
    MediaUnreadable,
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

    def _fitting_workers(self) -> int:
        if self.spec.gpus > 0:
            return max(1, int(self.resources["GPU"] // self.spec.gpus))
        return max(1, int(self.resources["CPU"] // max(self.spec.cpus, 0.01)))

    def _new_actor(self):
        return self._actor_class.remote(**self.spec.kwargs)

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
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
        try:
            while queue or pending:
                while queue and idle:
                    task, attempt = queue.popleft()
                    actor = idle.popleft()
                    shipped = self._shipped.get(task.media.media_id)
                    if shipped is None and self.ship_media:
                        shipped = self._ship(task)
                    ref = actor.run.remote(task.media, task.payload, shipped)
                    pending[ref] = (task, attempt, actor)
                ready, _ = ray.wait(list(pending), num_returns=1)
                task, attempt, actor = pending.pop(ready[0])
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

    def _ship(self, task: Task):
        ref = self._shipped[task.media.media_id] = self.ray.put(read_media(task))
        self.stats.shipped += 1
        return ref

    def close(self) -> None:
        for actor in self._actors:
            with contextlib.suppress(Exception):
                self.ray.kill(actor)
        self._actors.clear()
        self._shipped.clear()
        disconnect()


def _line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "...") if len(text) > 300 else text or type(exc).__name__
