"""`videoseg boxes-to-masks --cluster`: the boxes become masks on Ray workers, this process stores.

One task per media item (an image's boxes; a video's MOT tracks), in the local run's order
(images, then videos), stored in that order too (``in_order``), so the objects made get the same
ids as a local run's. Storing goes through the same ``BoxWriter`` (an image in one transaction
per label, a video's frames in batches of BATCH_FRAMES), so resume and the overlap rules are the
local run's. The progress bar moves per frame as the workers report (docs/adr/0014).
"""

from __future__ import annotations

from videoseg_desktop.cli.cluster_options import drive, make_executor
from videoseg_desktop.store.box_prelabel import BoxJob, BoxWriter


def run_on_cluster(project, jobs: list[BoxJob], args, summary, model: str, size) -> dict:
    from videoseg_desktop.batch.box_work import BoxWorker
    from videoseg_desktop.batch.executor import ProgressUnits, WorkerSpec
    from videoseg_desktop.batch.track_work import ModelChoice

    tasks, by_key = plan_tasks(project, jobs, args.key_every)
    checkpoint = None if args.checkpoint is None else str(args.checkpoint.resolve())
    choice = ModelChoice(model, checkpoint, size, args.device, args.precision)
    executor = make_executor(
        args, lambda gpus: WorkerSpec(BoxWorker, {"choice": choice}, gpus=gpus)
    )
    units = ProgressUnits(
        {t.key: by_key[t.key].media.frame_count if t.payload.tracks else 1 for t in tasks}
    )
    return drive(
        executor,
        tasks,
        units,
        "boxes-to-masks",
        lambda task, result: store(project, by_key[task.key], result, args.accept, summary),
        summary.errors,
    )


def plan_tasks(project, jobs: list[BoxJob], key_every: int):
    """Tasks in the local run's order (images, then videos), and the job of each task."""
    from videoseg_desktop.batch.box_work import BoxPayload
    from videoseg_desktop.batch.executor import MediaRef, Task

    ordered = [j for j in jobs if j.boxes] + [j for j in jobs if j.tracks]
    tasks, by_key = [], {}
    for job in ordered:
        item = job.media
        project.media_guard.verify(item)  # never send a file that changed behind our back
        path = project.media_path(item)
        ref = MediaRef(item.id, str(path), item.kind, path.stat().st_size)
        payload = BoxPayload(tuple(job.boxes), tuple(job.tracks), key_every)
        by_key[len(tasks)] = job
        tasks.append(Task(len(tasks), ref, payload))
    return tasks, by_key


def store(project, job: BoxJob, result, accept: bool, summary) -> None:
    """One media item's result, as the local run stores it."""
    from videoseg_desktop.cli.boxes_commands import BATCH_FRAMES, _count

    writer = BoxWriter(project, job, accept=accept)
    writer.begin()
    if not job.tracks:
        writer.write_image(list(result.found))
        summary.empty += sum(1 for f in result.found if f is None)
        _count(summary, writer)
        summary.images += 1
        return
    frames = list(result.frames)
    for at in range(0, len(frames), BATCH_FRAMES):
        writer.write_frames(frames[at : at + BATCH_FRAMES])
    writer.finish()
    _count(summary, writer)
    summary.videos += 1
