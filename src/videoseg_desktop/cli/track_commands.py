"""`videoseg track`: track objects through a video with SAM 2.1 and store the masks.

Each object's conditioning frames come from the project: a frame with a stored clicked, edited
or imported mask (or the first auto mask of a concept-found track) conditions tracking with that
very mask; a frame with prompts but no such mask conditions it with its points and box (see
store/tracking_inputs.py). Tracked masks are stored as "propagated", in batches of one
transaction each, and never replace those conditioning masks; other auto masks are tracking
results that re-tracking replaces. torch is imported only when the command runs.
"""

from __future__ import annotations

import json
import time

from videoseg_desktop.batch.track_batch import TrackWriter
from videoseg_desktop.batch.track_work import add_conditioning
from videoseg_desktop.cli.cluster_options import add_cluster_options, check_cluster_options
from videoseg_desktop.cli.common import (
    ProgressLine,
    add_project_arg,
    media_ids,
    open_for_writing,
)
from videoseg_desktop.cli.model_commands import add_model_options, load_engine
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.tracking_inputs import track_conditioning


def register(sub) -> None:
    track = sub.add_parser(
        "track",
        help="track objects through a video from their prompts and masks",
        description="Track objects through a video with SAM 2.1, starting from the frames where "
        "they were segmented (clicked, edited or imported masks, or prompts), and store the "
        "tracked masks as 'propagated'. Those starting frames are never overwritten.",
    )
    add_project_arg(track)
    track.add_argument("media_id", metavar="MEDIA_ID", type=int, nargs="?")
    track.add_argument(
        "--all",
        action="store_true",
        help="track every object of every video (or of --media), each video from its objects' "
        "first segmented frames; videos done already on the same inputs are skipped (resume)",
    )
    track.add_argument(
        "--media", type=media_ids, metavar="IDS", help="with --all: media ids, e.g. 1,2,5"
    )
    track.add_argument(
        "--redo", action="store_true", help="with --all: track videos done already again"
    )
    track.add_argument(
        "--object",
        dest="objects",
        action="append",
        metavar="NAME",
        help="object to track (repeatable; default: every object with prompts or masks)",
    )
    track.add_argument(
        "--from",
        dest="start",
        type=int,
        metavar="N",
        help="frame to start from (default: each object's first segmented frame, "
        "its last one when tracking backward)",
    )
    track.add_argument(
        "--to",
        dest="end",
        type=int,
        metavar="M",
        help="last frame to track (with --direction forward or backward)",
    )
    track.add_argument(
        "--direction", choices=("forward", "backward", "both"), default="both", help="default: both"
    )
    add_model_options(track)
    add_cluster_options(track)
    track.add_argument("--json", action="store_true", help="print a JSON summary")
    track.set_defaults(handler=cmd_track)


def cmd_track(args) -> int:
    if args.all:
        from videoseg_desktop.cli.track_all import cmd_track_all

        return cmd_track_all(args)
    if args.media_id is None:
        raise VideoSegError("give a MEDIA_ID, or --all for every video")
    for name, given in (
        ("--media", args.media),
        ("--redo", args.redo),
        ("--cluster", args.cluster),
    ):
        if given:
            raise VideoSegError(f"{name} goes with --all")
    check_cluster_options(args)
    from videoseg_desktop.inference.video_results import plan_passes
    from videoseg_desktop.inference.video_session import VideoSession

    if args.end is not None and args.direction == "both":
        raise VideoSegError("--to needs --direction forward or backward")
    with open_for_writing(args, "track") as project:
        item = project.media.get(args.media_id)
        if item.kind != MediaKind.VIDEO:
            raise VideoSegError(f"media {item.id} is an image; tracking needs a video")
        for name, frame in (("--from", args.start), ("--to", args.end)):
            if frame is not None and not 0 <= frame < item.frame_count:
                raise VideoSegError(
                    f"{name} {frame} is out of range: media {item.id} has frames "
                    f"0..{item.frame_count - 1}"
                )
        inputs = {
            obj.id: (obj, track_conditioning(project, obj.id))
            for obj in _objects(project, item, args)
        }
        starts = {}
        for obj_id, (_, cond) in inputs.items():
            frames = [c.frame for c in cond]
            default = max(frames) if args.direction == "backward" else min(frames)
            starts.setdefault(default if args.start is None else args.start, []).append(obj_id)
        total = sum(
            len(order)
            for start in starts
            for _, order in plan_passes(start, args.direction, args.end, item.frame_count)
        )

        project.media_guard.verify(item)  # never track a file that changed behind our back
        engine = load_engine(args, project)
        writer = TrackWriter(project, engine.model_id, list(inputs))
        progress = ProgressLine("tracking")
        began = time.perf_counter()
        done = 0
        with (
            project.open_frames(item) as frames,
            VideoSession.for_engine(engine, frames, project.tracking_dir) as session,
        ):
            for obj, cond in inputs.values():
                for entry in cond:
                    add_conditioning(session, obj.id, entry, obj.name)
            try:
                for start, obj_ids in sorted(starts.items()):

                    def on_progress(p, offset=done):
                        detail = f"{p.fps:.1f} frames/s" + (
                            f", {p.eta_s:.0f} s left" if p.eta_s else ""
                        )
                        progress(offset + p.done, total, detail)

                    outcome = session.propagate(
                        start,
                        args.direction,
                        args.end,
                        obj_ids,
                        on_frame=writer.add,
                        on_progress=on_progress,
                    )
                    done += outcome.frames_done
            finally:
                writer.flush()
                progress.finish()
    elapsed = time.perf_counter() - began
    report = {
        "media_id": item.id,
        "objects": [inputs[i][0].name for i in inputs],
        "direction": args.direction,
        "frames": done,
        "stored": writer.stored,
        "removed": writer.removed,
        "kept": writer.kept,
        "model": engine.model_id,
        "device": engine.device,
        "seconds": round(elapsed, 3),
        "frames_per_s": round(done / elapsed, 3) if elapsed > 0 else None,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"tracked {plural(len(inputs), 'object')} over {plural(done, 'frame')} of media {item.id}: "
            f"{plural(writer.stored, 'mask')} stored, {plural(writer.kept, 'segmented frame')} kept, "
            f"{plural(writer.removed, 'empty frame')} cleared ({engine.model_id} on {engine.device}, "
            f"{elapsed:.1f} s)"
        )
    return 0


def _objects(project, item, args) -> list:
    if args.objects:
        chosen = []
        for name in dict.fromkeys(args.objects):
            obj = project.objects.find(item.id, name)
            if obj is None:
                raise VideoSegError(f"media {item.id} has no object named {name!r}")
            if not track_conditioning(project, obj.id):
                raise VideoSegError(f"object {name!r} has no prompts or masks to track from")
            chosen.append(obj)
        return chosen
    chosen = [obj for obj in project.objects.list(item.id) if track_conditioning(project, obj.id)]
    if not chosen:
        raise VideoSegError(
            f"no object of media {item.id} has prompts or masks yet; segment a frame first"
        )
    return chosen
