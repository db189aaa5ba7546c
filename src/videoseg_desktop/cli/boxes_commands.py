"""`videoseg boxes-to-masks`: detector boxes (COCO, YOLO txt, MOT CSV) become objects with
SAM 2.1 masks, as suggestions to review (or accepted with --accept).

Images: every box of an image is decoded in one batched call on one encoding. Videos (MOT): each
track is one object, prompted with its boxes on key frames and tracked with SAM 2.1 between
them. Works without SAM 3. The file is read and checked (the importer's limits) before a model
is loaded; bad items are left out with one line each. Resume, overlap and never-overwrite rules
are those of `videoseg autolabel` (store/prelabel.py); Ctrl-C keeps what was stored.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from videoseg_desktop.cli.autolabel_commands import _ids
from videoseg_desktop.cli.cluster_options import add_cluster_options, check_cluster_options
from videoseg_desktop.cli.common import add_project_arg, open_for_writing
from videoseg_desktop.cli.model_commands import add_model_options, engine_choice, load_engine
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.export.box_matching import match_boxes
from videoseg_desktop.export.box_readers import BOX_FORMATS, read_boxes
from videoseg_desktop.store.box_prelabel import BoxJob, BoxWriter, plan_box_jobs
from videoseg_desktop.store.prelabel import media_for_prelabel

BATCH_FRAMES = 16  # video frames stored per transaction
PROBLEMS_SHOWN = 50  # lines about bad items printed; the rest are counted


def register(sub) -> None:
    p = sub.add_parser(
        "boxes-to-masks",
        help="turn detector boxes (COCO, YOLO, MOT) into objects with SAM 2.1 masks",
        description="Read boxes from a detector's COCO file, YOLO txt folder or MOT CSV, match "
        "them to the project's media by file name, and store one object per box (per track "
        "for MOT videos, tracked with SAM 2.1 between its boxes) with the class as its label "
        "(created if missing). Objects are suggestions unless --accept. Run it again to resume.",
    )
    add_project_arg(p)
    p.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE")
    p.add_argument("--format", required=True, choices=BOX_FORMATS)
    p.add_argument("--min-score", type=float, metavar="S", help="leave out boxes scored below S")
    p.add_argument("--media", type=_ids, metavar="IDS", help="media ids, e.g. 1,2,5 (default: all)")
    p.add_argument(
        "--key-every",
        type=int,
        default=10,
        metavar="N",
        help="MOT: prompt a track with its box every N frames (default 10); tracking fills the "
        "frames between",
    )
    p.add_argument("--accept", action="store_true", help="store objects as accepted")
    p.add_argument("--redo", action="store_true", help="run again where already done")
    add_model_options(p)
    add_cluster_options(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(handler=cmd_boxes_to_masks)


@dataclass
class Summary:
    boxes: int = 0
    images: int = 0
    videos: int = 0
    objects: int = 0
    masks: int = 0
    skipped: int = 0
    empty: int = 0  # boxes where SAM found nothing
    below_score: int = 0
    unmatched: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cluster: dict | None = None  # workers, retried, shipped (with --cluster)


def cmd_boxes_to_masks(args) -> int:
    if args.min_score is not None and not math.isfinite(args.min_score):
        raise VideoSegError("--min-score must be a number")
    if args.key_every < 1:
        raise VideoSegError("--key-every must be at least 1")
    check_cluster_options(args)
    from videoseg_desktop.inference.engine import model_id_for

    with open_for_writing(args, "boxes-to-masks") as project:
        media = media_for_prelabel(project, args.media)
        boxes = read_boxes(args.source, args.format)  # checked before any model sees it
        plan = match_boxes(media, boxes, args.min_score)
        for line in boxes.problems[:PROBLEMS_SHOWN]:
            print(f"skipped {line}", file=sys.stderr)
        hidden = len(boxes.problems) - PROBLEMS_SHOWN + boxes.more_problems
        if hidden > 0:
            print(f"skipped {plural(hidden, 'more bad item')}", file=sys.stderr)
        model, size = engine_choice(args, project, resolve=True)
        jobs = plan_box_jobs(
            project,
            plan.images,
            plan.videos,
            boxes.digest,
            args.min_score,
            model_id_for(model, size),
            args.redo,
        )
        summary = Summary(boxes=boxes.boxes, below_score=plan.below_score, unmatched=plan.unmatched)
        began = time.perf_counter()
        if not jobs:
            _report(args, summary, began, "nothing to do")
            return 0
        try:
            if args.cluster:  # each worker loads the model
                from videoseg_desktop.cli.boxes_cluster import run_on_cluster

                summary.cluster = run_on_cluster(project, jobs, args, summary, model, size)
            else:
                _run(project, load_engine(args, project), jobs, args, summary)
        except KeyboardInterrupt:
            _report(args, summary, began, "interrupted: run the command again to resume")
            return 130
    _report(args, summary, began, "done")
    return 0


def _run(project, engine, jobs: list[BoxJob], args, summary: Summary) -> None:
    from tqdm import tqdm

    from videoseg_desktop.inference.box_masks import masks_for_image
    from videoseg_desktop.media.prefetch import prefetched

    images = [j for j in jobs if j.boxes]
    videos = [j for j in jobs if j.tracks]
    units = len(images) + sum(j.media.frame_count for j in videos)
    bar = tqdm(total=units, unit="frame", desc="boxes-to-masks", disable=None, file=sys.stderr)
    try:
        for job, future in prefetched(images, lambda j: _read(project, j.media)):
            try:
                rgb = future.result()
            except VideoSegError as exc:
                summary.errors.append(f"media {job.media.id}: {exc}")
                bar.update(1)
                continue
            found = masks_for_image(engine, rgb, job.boxes)
            writer = BoxWriter(project, job, accept=args.accept)
            writer.begin()
            writer.write_image(found)
            summary.empty += sum(1 for f in found if f is None)
            _count(summary, writer)
            summary.images += 1
            bar.update(1)
        for job in videos:
            _video(project, engine, job, args, summary, bar)
    finally:
        bar.close()


def _read(project, item):
    with project.open_frames(item) as frames:
        return frames.read(0)


def _video(project, engine, job: BoxJob, args, summary: Summary, bar) -> None:
    from videoseg_desktop.inference.box_masks import masks_for_video

    item = job.media
    project.media_guard.verify(item)  # never track a file that changed behind our back
    writer = BoxWriter(project, job, accept=args.accept)
    writer.begin()
    pending = []
    shown = [0]

    def flush() -> None:
        batch, pending[:] = list(pending), []
        if batch:
            writer.write_frames(batch)

    def on_frame(result) -> None:
        pending.append(result)
        if len(pending) >= BATCH_FRAMES:
            flush()

    def on_progress(done: int, total: int) -> None:
        step = round(done * item.frame_count / total) - shown[0]
        if step > 0:
            bar.update(step)
            shown[0] += step

    with project.open_frames(item) as frames:
        try:
            masks_for_video(
                engine,
                frames,
                job.tracks,
                project.tracking_dir,
                args.key_every,
                on_frame,
                on_progress=on_progress,
            )
        finally:
            flush()  # what was tracked is kept, also after Ctrl-C
    writer.finish()
    bar.update(item.frame_count - shown[0])
    _count(summary, writer)
    summary.videos += 1


def _count(summary: Summary, writer: BoxWriter) -> None:
    summary.objects += writer.created
    summary.masks += writer.found
    summary.skipped += writer.skipped


def _report(args, summary: Summary, began: float, state: str) -> None:
    elapsed = time.perf_counter() - began
    data = {
        "state": state,
        "boxes": summary.boxes,
        "images": summary.images,
        "videos": summary.videos,
        "objects": summary.objects,
        "masks": summary.masks,
        "skipped_overlapping": summary.skipped,
        "empty": summary.empty,
        "below_score": summary.below_score,
        "unmatched": summary.unmatched,
        "errors": summary.errors,
        "seconds": round(elapsed, 3),
    }
    if summary.cluster is not None:
        data["cluster"] = {"address": args.cluster, **summary.cluster}
    if args.json:
        print(json.dumps(data))
    else:
        print(
            f"boxes-to-masks {state}: {plural(summary.images, 'image')} and "
            f"{plural(summary.videos, 'video')}: {plural(summary.objects, 'object')} with "
            f"{plural(summary.masks, 'mask')}, {summary.skipped} overlapping skipped, "
            f"{summary.empty} empty, {summary.below_score} under --min-score "
            f"({elapsed:.1f} s)"
        )
        if summary.unmatched:
            shown = ", ".join(summary.unmatched[:5]) + (
                ", ..." if len(summary.unmatched) > 5 else ""
            )
            print(
                f"{plural(len(summary.unmatched), 'name')} in the file match no media item "
                f"of the selection: {shown}",
                file=sys.stderr,
            )
    for line in summary.errors:
        print(f"skipped {line}", file=sys.stderr)
