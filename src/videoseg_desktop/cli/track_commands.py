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

from videoseg_desktop.cli.common import ProgressLine, add_project_arg, open_for_writing
from videoseg_desktop.cli.model_commands import add_model_options, load_engine
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource, MediaKind
from videoseg_desktop.core.review_rules import confidence_from_logit
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.tracking_inputs import (
    TRACKED_SOURCES,
    Conditioning,
    kept_frames,
    track_conditioning,
)

BATCH_FRAMES = 32  # masks written per transaction


def register(sub) -> None:
    track = sub.add_parser(
        "track",
        help="track objects through a video from their prompts and masks",
        description="Track objects through a video with SAM 2.1, starting from the frames where "
        "they were segmented (clicked, edited or imported masks, or prompts), and store the "
        "tracked masks as 'propagated'. Those starting frames are never overwritten.",
    )
    add_project_arg(track)
    track.add_argument("media_id", metavar="MEDIA_ID", type=int)
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
    track.add_argument("--json", action="store_true", help="print a JSON summary")
    track.set_defaults(handler=cmd_track)


def cmd_track(args) -> int:
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
        writer = _MaskWriter(project, engine.model_id, list(inputs))
        progress = ProgressLine("tracking")
        began = time.perf_counter()
        done = 0
        with (
            project.open_frames(item) as frames,
            VideoSession.for_engine(engine, frames, project.tracking_dir) as session,
        ):
            for obj, cond in inputs.values():
                for entry in cond:
                    _add_conditioning(session, obj, entry)
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


def _add_conditioning(session, obj, entry: Conditioning) -> None:
    frame = entry.frame
    if entry.mask is None:
        session.add_prompts(obj.id, frame, list(entry.points), entry.box)
        return
    mask = decode_rle(entry.mask)
    if mask.shape != (session.video_height, session.video_width):
        raise VideoSegError(
            f"the stored mask of {obj.name!r} on frame {frame} is {mask.shape[1]}x{mask.shape[0]}, "
            f"the video is {session.video_width}x{session.video_height}"
        )
    session.add_mask(obj.id, frame, mask)


class _MaskWriter:
    """Stores tracked masks in batches; segmented frames stay as they are."""

    def __init__(self, project, model_id: str, object_ids: list[int]) -> None:
        self.project = project
        self.model_id = model_id
        self.kept_frames: dict[int, set[int]] = {}
        self.propagated: dict[int, set[int]] = {}
        for obj_id in object_ids:
            stored = project.masks.frames_of(obj_id)
            self.kept_frames[obj_id] = kept_frames(stored)
            self.propagated[obj_id] = {f for f, s in stored if s in TRACKED_SOURCES}
        self._writes: list[tuple] = []
        self._empties: list[tuple[int, int]] = []
        self._frames = 0
        self.stored = self.removed = self.kept = 0

    def add(self, result) -> None:
        for obj_id, mask in result.masks.items():
            if result.frame in self.kept_frames[obj_id]:
                self.kept += 1
            elif mask.any():
                rle = encode_rle(mask)
                # The object score logit as a 0..1 confidence (docs/adr/0009).
                logit = result.object_scores.get(obj_id)
                score = None if logit is None else confidence_from_logit(logit)
                self._writes.append(
                    (obj_id, result.frame, rle, MaskSource.PROPAGATED, self.model_id, score)
                )
            elif result.frame in self.propagated[obj_id]:
                self._empties.append((obj_id, result.frame))  # the object left: drop stale mask
        self._frames += 1
        if self._frames >= BATCH_FRAMES:
            self.flush()

    def flush(self) -> None:
        if not (self._writes or self._empties):
            return
        with self.project.transaction():
            if self._writes:
                self.project.masks.put_many(self._writes)
            for obj_id, frame in self._empties:
                self.project.masks.delete(obj_id, frame)
        for obj_id, frame, *_ in self._writes:
            self.propagated[obj_id].add(frame)
        for obj_id, frame in self._empties:
            self.propagated[obj_id].discard(frame)
        self.stored += len(self._writes)
        self.removed += len(self._empties)
        self._writes, self._empties, self._frames = [], [], 0
