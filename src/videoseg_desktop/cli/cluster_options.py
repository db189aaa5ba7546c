"""``--cluster`` and its companions, shared by the batch commands (docs/adr/0014)."""

from __future__ import annotations

from videoseg_desktop.core.errors import VideoSegError


def add_cluster_options(parser) -> None:
    group = parser.add_argument_group("batch on a Ray cluster")
    group.add_argument(
        "--cluster",
        metavar="ADDRESS|local",
        help="run the per-media inference on a Ray cluster's workers (the address `ray start "
        "--head` prints, e.g. 10.0.0.5:6379, or ray://HOST:10001; 'local': a cluster of this "
        "machine's processes); this process stores every result. Needs the 'cluster' extra",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="workers (one model each) on the cluster (default: as many as its GPUs, or CPUs "
        "with --gpus-per-worker 0)",
    )
    group.add_argument(
        "--gpus-per-worker",
        type=float,
        metavar="G",
        help="GPUs each worker takes (default: 1 when the cluster has GPUs, else 0)",
    )
    group.add_argument(
        "--ship-media",
        action="store_true",
        help="send media files to the workers (default: only to those that cannot read them at "
        "this machine's path)",
    )


def check_cluster_options(args) -> None:
    """Refuse cluster options without --cluster, and bad counts, before any work."""
    if not args.cluster:
        for name, value in (
            ("--workers", args.workers),
            ("--gpus-per-worker", args.gpus_per_worker),
            ("--ship-media", args.ship_media or None),
        ):
            if value is not None:
                raise VideoSegError(f"{name} goes with --cluster")
        return
    if args.workers is not None and args.workers < 1:
        raise VideoSegError("--workers must be at least 1")
    if args.gpus_per_worker is not None and args.gpus_per_worker < 0:
        raise VideoSegError("--gpus-per-worker cannot be negative")


def make_executor(args, spec_for):
    """The executor ``args`` ask for; ``spec_for(gpus)`` builds the WorkerSpec once the GPUs
    each worker takes are known (they may depend on the cluster)."""
    from videoseg_desktop.batch.executor import LocalExecutor

    if not args.cluster:
        return LocalExecutor(spec_for(0.0))
    from videoseg_desktop.batch.ray_executor import RayExecutor, connect

    connect(args.cluster, args.workers)
    gpus = args.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if _cluster_gpus() > 0 else 0.0
    return RayExecutor(
        args.cluster, spec_for(gpus), workers=args.workers, ship_media=args.ship_media
    )


def _cluster_gpus() -> float:
    from videoseg_desktop.batch.ray_executor import import_ray

    return float(import_ray().cluster_resources().get("GPU", 0.0))


def drive(executor, tasks, units, desc: str, store, errors: list[str]) -> dict:
    """Run ``tasks`` on ``executor`` and ``store(task, result)`` each in task order (same ids
    as a local run), a progress bar of ``units`` moving per frame the workers report; a failed
    task is one line in ``errors``. Returns the run's counts for the JSON summary."""
    import sys

    from tqdm import tqdm

    from videoseg_desktop.batch.executor import in_order

    bar = tqdm(total=units.total, unit="frame", desc=desc, disable=None, file=sys.stderr)

    def on_progress(task, done: int, total: int) -> None:
        bar.update(units.progress(task, done, total))

    try:
        for outcome in in_order(executor.run(tasks, on_progress)):
            task = outcome.task
            if outcome.error is not None:
                errors.append(f"media {task.media.media_id}: {outcome.error}")
            else:
                store(task, outcome.result)
            bar.update(units.finish(task))
    finally:
        bar.close()
        executor.close()
    stats = executor.stats
    return {"workers": stats.workers, "retried": stats.retried, "shipped": stats.shipped}
