"""`videoseg track --all`: every object of every selected video, here or on a Ray cluster.

One task per video goes to a worker (this process without ``--cluster``, Ray actors with it);
each worker loads the model once. This process stays the project's only writer: it stores each
video's masks when they arrive (see batch/track_batch.py), so progress, Ctrl-C and resume work
the same with and without a cluster.
"""

from __future__ import annotations

import json
import time

from videoseg_desktop.cli.cluster_options import check_cluster_options, make_executor
from videoseg_desktop.cli.common import ProgressLine, open_for_writing
from videoseg_desktop.cli.model_commands import engine_choice
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural


def cmd_track_all(args) -> int:
    from videoseg_desktop.batch.executor import WorkerSpec
    from videoseg_desktop.batch.track_batch import BatchTotals, plan_track_all, run_track_batch
    from videoseg_desktop.batch.track_work import ModelChoice, TrackWorker
    from videoseg_desktop.inference.engine import model_id_for

    if args.media_id is not None:
        raise VideoSegError("--all tracks every video: choose some with --media, not MEDIA_ID")
    for name, given in (("--object", args.objects), ("--from", args.start), ("--to", args.end)):
        if given is not None:
            raise VideoSegError(f"{name} is for one video; --all tracks each from its objects")
    check_cluster_options(args)
    with open_for_writing(args, "track") as project:
        model, size = engine_choice(args, project, resolve=True)
        model_id = model_id_for(model, size)
        plan = plan_track_all(project, args.media, args.direction, model_id, args.redo)
        choice = ModelChoice(
            model,
            None if args.checkpoint is None else str(args.checkpoint.resolve()),
            size,
            args.device,
            args.precision,
        )
        summary = {
            "videos": len(plan.tasks),
            "done_before": len(plan.done),
            "without_objects": len(plan.without_objects),
            "tracked": 0,
            "frames": 0,
            "stored": 0,
            "removed": 0,
            "kept": 0,
            "errors": [],
            "model": model_id,
        }
        began = time.perf_counter()
        state = "done"
        if plan.tasks:
            executor = make_executor(
                args, lambda gpus: WorkerSpec(TrackWorker, {"choice": choice}, gpus=gpus)
            )
            summary["cluster"] = args.cluster or None
            progress = ProgressLine("tracking")
            totals = BatchTotals(errors=summary["errors"])
            videos = [0]  # stored so far
            frames = [0, sum(plan.frame_counts.values())]

            def show() -> None:  # moves per frame, also while a worker is in a video
                of = plural(len(plan.tasks), "video")
                progress(frames[0], frames[1], f"frames, {videos[0]} of {of}")

            def on_video(n: int, total: int) -> None:
                videos[0] = n
                show()

            def on_frames(done: int, total: int) -> None:
                frames[:] = [done, total]
                if done < total:  # the last video's line comes with on_video
                    show()

            try:
                show()
                run_track_batch(
                    project,
                    plan,
                    executor,
                    model_id,
                    on_video=on_video,
                    totals=totals,
                    on_frames=on_frames,
                )
            except KeyboardInterrupt:
                state = "interrupted: run the command again to resume"
                raise
            finally:
                for key in ("tracked", "frames", "stored", "removed", "kept"):
                    summary[key] = getattr(totals, key)
                progress.finish()
                executor.close()
                stats = executor.stats
                summary.update(workers=stats.workers, retried=stats.retried, shipped=stats.shipped)
                if state != "done":
                    _report(args, summary, began, state)
    _report(args, summary, began, "done" if not summary["errors"] else "done with errors")
    return 1 if summary["errors"] else 0


def _report(args, summary: dict, began: float, state: str) -> None:
    import sys

    elapsed = time.perf_counter() - began
    summary = {**summary, "state": state, "seconds": round(elapsed, 3)}
    if args.json:
        print(json.dumps(summary))
    else:
        where = f" on the Ray cluster {summary['cluster']}" if summary.get("cluster") else ""
        print(
            f"track --all {state}: {plural(summary['tracked'], 'video')} tracked{where} "
            f"({plural(summary['frames'], 'frame')}, {plural(summary['stored'], 'mask')} "
            f"stored), {summary['done_before']} done before, "
            f"{plural(summary['without_objects'], 'video')} with nothing to track ({elapsed:.1f} s)"
        )
    for line in summary["errors"]:
        print(f"videoseg: {line}", file=sys.stderr)
