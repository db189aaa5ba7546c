"""`videoseg autolabel --cluster`: the concept searches run on Ray workers, this process stores.

The jobs are split as a local run splits them (images; video frames with example boxes; videos
tracked by text) into one task each, in the local run's order; results are stored in that
order too (``in_order``), so the objects made get the same ids as a local run's. Storing goes
through the same ``PrelabelWriter`` (one transaction per image and concept, video frames in
batches), so resume and the overlap rules are the local run's.
"""

from __future__ import annotations

from videoseg_desktop.cli.cluster_options import drive, make_executor
from videoseg_desktop.store.prelabel import PrelabelJob, PrelabelWriter

BATCH_FRAMES = 16  # video frames stored per transaction, as a local run


def run_on_cluster(project, jobs: list[PrelabelJob], args, summary, folder) -> dict:
    from videoseg_desktop.batch.autolabel_work import TRACKED, ConceptWorker, Sam3Choice
    from videoseg_desktop.batch.executor import ProgressUnits, WorkerSpec

    tasks, groups = plan_tasks(project, jobs, args)
    choice = Sam3Choice(args.model, str(folder), args.image_size, args.device, args.precision)
    executor = make_executor(
        args, lambda gpus: WorkerSpec(ConceptWorker, {"choice": choice}, gpus=gpus)
    )
    # the local run's units: a frame per image, per searched frame, per tracked video frame
    units = ProgressUnits(
        {
            t.key: groups[t.key][0].media.frame_count
            if t.payload.kind == TRACKED
            else max(1, sum(len(f) for f in t.payload.frames))
            for t in tasks
        }
    )
    return drive(
        executor,
        tasks,
        units,
        "autolabel",
        lambda task, result: store(project, task.payload, groups[task.key], result, args, summary),
        summary.errors,
    )


def plan_tasks(project, jobs: list[PrelabelJob], args):
    """Tasks in the local run's order, and the jobs each task stores results for."""
    from videoseg_desktop.batch.autolabel_work import FRAMES, IMAGE, TRACKED, AutolabelPayload
    from videoseg_desktop.batch.executor import MediaRef, Task
    from videoseg_desktop.cli.autolabel_commands import _split

    images, tracked, framewise = _split(jobs, video_ok=True)
    planned: list[tuple] = []  # (media item, payload, jobs)
    by_media: dict[int, list[PrelabelJob]] = {}
    for job in images:
        by_media.setdefault(job.media.id, []).append(job)
    for group in by_media.values():
        concepts = tuple(j.concept for j in group)
        payload = AutolabelPayload(IMAGE, group[0].media.id, concepts, threshold=args.threshold)
        planned.append((group[0].media, payload, group))
    for media_id, group in framewise.items():
        concepts = tuple(j.concept for j in group)
        frames = tuple(tuple(f) for f in group.values())
        payload = AutolabelPayload(FRAMES, media_id, concepts, frames, args.threshold)
        planned.append((next(iter(group)).media, payload, list(group)))
    for media_id, group in tracked.items():
        concepts = tuple(j.concept for j in group)
        payload = AutolabelPayload(
            TRACKED, media_id, concepts, (), args.threshold, args.start, args.direction
        )
        planned.append((group[0].media, payload, group))
    tasks, groups = [], {}
    for item, payload, group in planned:
        project.media_guard.verify(item)
        path = project.media_path(item)
        ref = MediaRef(item.id, str(path), item.kind, path.stat().st_size)
        groups[len(tasks)] = group
        tasks.append(Task(len(tasks), ref, payload))
    return tasks, groups


def store(project, payload, jobs: list[PrelabelJob], result, args, summary) -> None:
    from videoseg_desktop.batch.autolabel_work import IMAGE, TRACKED
    from videoseg_desktop.cli.autolabel_commands import _count

    if payload.kind == TRACKED:
        _store_tracked(project, jobs, result.tracked, args, summary)
        return
    for job, found in zip(jobs, result.found, strict=True):
        writer = PrelabelWriter(project, job, accept=args.accept)
        writer.begin()
        if payload.kind == IMAGE:
            writer.write_image(found[0][1], 0)
        else:
            for frame, instances in found:
                writer.write_image(instances, frame, finish=False)
            writer.finish()
        _count(summary, writer)
    summary.images += 1


def _store_tracked(project, jobs: list[PrelabelJob], frames, args, summary) -> None:
    from videoseg_desktop.cli.autolabel_commands import _count

    writers = {}
    for job in jobs:
        writers[job.concept.text] = PrelabelWriter(project, job, accept=args.accept)
        writers[job.concept.text].begin()
    frames = list(frames)
    for at in range(0, len(frames), BATCH_FRAMES):
        batch = frames[at : at + BATCH_FRAMES]
        for text, writer in writers.items():
            ids = {t for r in batch for t, c in r.concepts.items() if c == text}
            writer.write_frames(batch, track_ids=ids)
    for writer in writers.values():
        writer.finish()
        _count(summary, writer)
    summary.videos += 1
    summary.frames += jobs[0].media.frame_count
