"""`videoseg autolabel`: pre-label a whole project (or a selection) with SAM 3 concepts.

Images: every instance of each concept becomes a suggested object (one transaction per image
and concept). Videos: each text concept is tracked through the whole video (all concepts of a
video in one pass) and every track becomes a suggested object track; a concept given by example
boxes on a video frame is searched on that frame only (SAM 3's video tracking takes text).
Runs already done are skipped, so running the command again resumes; Ctrl-C stops after
storing what was found so far. The rules for storing live in ``store/prelabel.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field

from videoseg_desktop.cli.cluster_options import add_cluster_options, check_cluster_options
from videoseg_desktop.cli.common import add_project_arg, open_for_writing
from videoseg_desktop.core.concepts import ConceptPrompt, Exemplar
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.prompts import Box
from videoseg_desktop.core.records import MediaKind
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.prelabel import (
    PrelabelJob,
    PrelabelWriter,
    media_for_prelabel,
    plan_prelabel,
)

BATCH_FRAMES = 16  # video frames stored per transaction


def register(sub) -> None:
    p = sub.add_parser(
        "autolabel",
        help="pre-label images and videos with SAM 3 concepts (suggestions to review)",
        description="Find every instance of one or more concepts (a phrase, and/or example "
        "boxes) in the project's images and videos with SAM 3 and store them as suggested "
        "objects of the concept's label (created if missing), masks of source 'auto' with the "
        "model's score. Videos are tracked through with all instances, each its own object. "
        "Media already done for a concept and model are skipped: run it again to resume. "
        "Instances overlapping an object of the same label (IoU >= 0.5) are not suggested.",
    )
    add_project_arg(p)
    p.add_argument(
        "--concept",
        dest="concepts",
        action=ConceptAction,
        default=[],
        metavar="TEXT[=LABEL]",
        help="what to find, e.g. car or 'red car=car' (label defaults to the text); repeatable",
    )
    p.add_argument(
        "--exemplar",
        action=ExemplarAction,
        metavar="MEDIA_ID:FRAME:X0,Y0,X1,Y1[:neg]",
        help="an example box of the --concept before it, on that media item and frame "
        "(':neg': an example of what it is not); repeatable",
    )
    p.add_argument("--media", type=_ids, metavar="IDS", help="media ids, e.g. 1,2,5 (default: all)")
    p.add_argument(
        "--threshold", type=float, default=0.5, help="lowest concept score kept (default 0.5)"
    )
    p.add_argument(
        "--accept", action="store_true", help="store objects as accepted, not as suggestions"
    )
    p.add_argument("--model", default="sam3", help="SAM 3 model name (default: sam3)")
    p.add_argument("--image-size", type=int, help="model input size (default: the model's, 1008)")
    p.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: best available)")
    p.add_argument(
        "--precision", default="auto", choices=("auto", "fp32", "bf16"), help="default: auto"
    )
    p.add_argument(
        "--direction",
        choices=("forward", "backward", "both"),
        default="forward",
        help="videos: track from --from forward (default), backward or both ways",
    )
    p.add_argument(
        "--from", dest="start", type=int, default=0, metavar="N", help="videos: first frame"
    )
    p.add_argument("--redo", action="store_true", help="run again where already done")
    add_cluster_options(p)
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(handler=cmd_autolabel)


class ConceptAction(argparse.Action):
    def __call__(self, parser, namespace, value, option_string=None):
        text, _, label = value.partition("=")
        if not text.strip() and not label.strip():
            parser.error(f"{option_string}: give a text, TEXT=LABEL, or =LABEL with --exemplar")
        concepts = list(getattr(namespace, self.dest) or [])
        concepts.append({"text": text.strip() or None, "label": label.strip() or None, "ex": []})
        setattr(namespace, self.dest, concepts)


class ExemplarAction(argparse.Action):
    def __call__(self, parser, namespace, value, option_string=None):
        concepts = getattr(namespace, "concepts", None)
        if not concepts:
            parser.error(f"{option_string} follows the --concept it is an example of")
        try:
            concepts[-1]["ex"].append(parse_exemplar(value))
        except ValueError as exc:
            parser.error(f"{option_string} {value!r}: {exc}")


def parse_exemplar(text: str) -> Exemplar:
    parts = text.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("neg", "pos")):
        raise ValueError("expected MEDIA_ID:FRAME:X0,Y0,X1,Y1 or ...:neg")
    try:
        media_id, frame = int(parts[0]), int(parts[1])
        x0, y0, x1, y1 = (float(v) for v in parts[2].split(","))
    except ValueError:
        raise ValueError("expected MEDIA_ID:FRAME:X0,Y0,X1,Y1 with numbers") from None
    box = Box(x0, y0, x1, y1).normalized()
    if box.x1 - box.x0 < 1 or box.y1 - box.y0 < 1:
        raise ValueError("the box is empty")
    return Exemplar(media_id, frame, box, positive=len(parts) == 3 or parts[3] == "pos")


def _ids(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ids like 1,2,5, got {text!r}") from None


@dataclass
class Summary:
    runs: int = 0
    images: int = 0
    videos: int = 0
    frames: int = 0
    objects: int = 0
    masks: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    cluster: dict | None = None  # workers, retried, shipped (with --cluster)


def cmd_autolabel(args) -> int:
    if not args.concepts:
        raise VideoSegError("give at least one --concept")
    if not 0.0 <= args.threshold <= 1.0:
        raise VideoSegError(f"--threshold must be within 0 and 1, not {args.threshold}")
    check_cluster_options(args)
    from videoseg_desktop.inference.sam3_registry import (
        configured_image_size,
        find_sam3_model,
        missing_sam3_error,
        model_id,
    )

    concepts = [ConceptPrompt(c["text"], c["label"], tuple(c["ex"])) for c in args.concepts]
    texts = [c.text for c in concepts if c.text]
    if len(set(texts)) != len(texts):
        raise VideoSegError("each --concept text may be given once")
    for c in concepts:
        c.label_name  # noqa: B018 - exemplar-only concepts need a label: fail before any work
    with open_for_writing(args, "autolabel") as project:
        folder = find_sam3_model(args.model)
        if folder is None:
            raise missing_sam3_error(args.model)
        image_size = args.image_size or configured_image_size(folder)
        media = media_for_prelabel(project, args.media)
        _check_exemplars(project, concepts)
        jobs = plan_prelabel(project, media, concepts, model_id(args.model, image_size), args.redo)
        summary = Summary()
        if not jobs:
            _report(args, summary, len(media), time.perf_counter(), "nothing to do")
            return 0
        engine = None if args.cluster else _load(args)  # on a cluster, each worker loads it
        began = time.perf_counter()
        try:
            if args.cluster:
                from videoseg_desktop.cli.autolabel_cluster import run_on_cluster

                summary.cluster = run_on_cluster(project, jobs, args, summary, folder)
            else:
                _run(project, engine, jobs, args, summary)
        except KeyboardInterrupt:
            _report(
                args, summary, len(media), began, "interrupted: run the command again to resume"
            )
            return 130
    _report(args, summary, len(media), began, "done")
    return 0


def _load(args):
    from videoseg_desktop.inference.concept_engine import ConceptEngine

    return ConceptEngine.load(
        args.model, image_size=args.image_size, device=args.device, precision=args.precision
    )


def _check_exemplars(project, concepts: list[ConceptPrompt]) -> None:
    for c in concepts:
        for e in c.exemplars:
            item = project.media.get(e.media_id)
            if not 0 <= e.frame < item.frame_count:
                raise VideoSegError(f"exemplar frame {e.frame} is outside media {item.id}")
            b = e.box
            if b.x0 < 0 or b.y0 < 0 or b.x1 > item.width or b.y1 > item.height:
                raise VideoSegError(
                    f"the exemplar box {b.x0:g},{b.y0:g},{b.x1:g},{b.y1:g} lies outside media "
                    f"{item.id} ({item.width}x{item.height})"
                )


def _run(project, engine, jobs: list[PrelabelJob], args, summary: Summary) -> None:
    from tqdm import tqdm

    from videoseg_desktop.media.prefetch import prefetched

    images, tracked, framewise = _split(jobs, engine.handles_video)
    units = len({j.media.id for j in images})
    units += sum(len(frames) for group in framewise.values() for frames in group.values())
    units += sum(jobs_[0].media.frame_count for jobs_ in tracked.values())
    bar = tqdm(total=units, unit="frame", desc="autolabel", disable=None, file=sys.stderr)
    session = engine.image_session()
    try:
        by_media: dict[int, list[PrelabelJob]] = {}
        for job in images:
            by_media.setdefault(job.media.id, []).append(job)
        items = [group[0].media for group in by_media.values()]
        for item, future in prefetched(items, lambda m: _read(project, m, 0)):
            try:
                rgb = future.result()
            except VideoSegError as exc:
                summary.errors.append(f"media {item.id}: {exc}")
                bar.update(1)
                continue
            for job in by_media[item.id]:
                _image_job(project, session, job, rgb, 0, args, summary)
            summary.images += 1
            bar.update(1)
        for group in framewise.values():
            for job, frames in group.items():
                writer = PrelabelWriter(project, job, accept=args.accept)
                writer.begin()
                for frame in frames:
                    rgb = _read(project, job.media, frame)
                    exemplars = job.concept.exemplars_on(job.media.id, frame)
                    result = session.find(rgb, job.concept, args.threshold, exemplars=exemplars)
                    writer.write_image(result.instances, frame, finish=False)
                    bar.update(1)
                writer.finish()
                _count(summary, writer)
            summary.images += 1
        for group in tracked.values():
            _video_jobs(project, engine, group, args, summary, bar)
    finally:
        bar.close()


def _split(jobs: list[PrelabelJob], video_ok: bool):
    """Images; videos tracked by text (all concepts of a video together); video frames with
    example boxes, searched frame by frame."""
    images, tracked, framewise = [], {}, {}
    for job in jobs:
        if job.media.kind == MediaKind.IMAGE:
            images.append(job)
        elif job.concept.exemplars:
            frames = sorted({e.frame for e in job.concept.exemplars})
            framewise.setdefault(job.media.id, {})[job] = frames
        else:
            if not video_ok:
                raise VideoSegError(
                    "this SAM 3 model finds concepts on images only; choose a model with video "
                    "tracking (the official sam3) or --media without videos"
                )
            tracked.setdefault(job.media.id, []).append(job)
    return images, tracked, framewise


def _read(project, item, frame: int):
    with project.open_frames(item) as frames:
        return frames.read(frame)


def _image_job(project, session, job, rgb, frame: int, args, summary: Summary) -> None:
    exemplars = job.concept.exemplars_on(job.media.id, frame)
    result = session.find(rgb, job.concept, args.threshold, exemplars=exemplars)
    writer = PrelabelWriter(project, job, accept=args.accept)
    writer.begin()
    writer.write_image(result.instances, frame)
    _count(summary, writer)


def _count(summary: Summary, writer: PrelabelWriter) -> None:
    summary.runs += 1
    summary.objects += len(writer.report.created)
    summary.masks += writer.report.found
    summary.skipped += writer.report.skipped


def _video_jobs(project, engine, jobs: list[PrelabelJob], args, summary: Summary, bar) -> None:
    item = jobs[0].media
    writers = {}
    for job in jobs:
        writers[job.concept.text] = PrelabelWriter(project, job, accept=args.accept)
        writers[job.concept.text].begin()
    pending = []

    def flush() -> None:
        batch, pending[:] = list(pending), []
        if not batch:
            return
        for text, writer in writers.items():
            ids = {t for r in batch for t, c in r.concepts.items() if c == text}
            writer.write_frames(batch, track_ids=ids)

    with (
        project.open_frames(item) as frames,
        engine.video_session(frames, project.cache_dir / "tracking") as session,
    ):
        for text in writers:
            session.add_concept(text)

        def on_frame(result) -> None:
            pending.append(result)
            bar.update(1)
            if len(pending) >= BATCH_FRAMES:
                flush()

        try:
            session.propagate(
                min(args.start, item.frame_count - 1), args.direction, on_frame=on_frame
            )
        finally:
            flush()  # what was tracked is kept, also after Ctrl-C
    for writer in writers.values():
        writer.finish()
        _count(summary, writer)
    summary.videos += 1
    summary.frames += item.frame_count


def _report(args, summary: Summary, media: int, began: float, state: str) -> None:
    elapsed = time.perf_counter() - began
    data = {
        "state": state,
        "media": media,
        "runs": summary.runs,
        "images": summary.images,
        "videos": summary.videos,
        "objects": summary.objects,
        "masks": summary.masks,
        "skipped_overlapping": summary.skipped,
        "errors": summary.errors,
        "seconds": round(elapsed, 3),
    }
    if summary.cluster is not None:
        data["cluster"] = {"address": args.cluster, **summary.cluster}
    if args.json:
        print(json.dumps(data))
        return
    print(
        f"autolabel {state}: {plural(summary.runs, 'run')} on {plural(summary.images, 'image')} and "
        f"{plural(summary.videos, 'video')}: {plural(summary.objects, 'object')} suggested with "
        f"{plural(summary.masks, 'mask')}, {plural(summary.skipped, 'overlapping instance')} skipped "
        f"({elapsed:.1f} s)"
    )
    for line in summary.errors:
        print(f"skipped {line}", file=sys.stderr)
