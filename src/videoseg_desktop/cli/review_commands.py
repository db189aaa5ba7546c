"""Review commands: review (the queue, accept, reject), status, review-settings, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from videoseg_desktop.cli.common import add_project_arg, open_for_writing, open_project
from videoseg_desktop.core.errors import ProjectLockedError, VideoSegError
from videoseg_desktop.core.records import MediaStatus
from videoseg_desktop.core.review_rules import (
    FLAG_NAMES,
    FLAG_TEXT,
    ReviewThresholds,
    parse_frame_range,
)
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.review_queue import QUEUE_STATES
from videoseg_desktop.store.statistics import project_stats, write_stats_csv

FLAG_HELP = "; ".join(f"{FLAG_NAMES[k]}: {v}" for k, v in FLAG_TEXT.items())


def register(sub) -> None:
    p = sub.add_parser(
        "review",
        help="the review queue; accept or reject masks",
        description="Without an action: list the review queue, one row per item (media, "
        "frames, object, reasons, lowest score). 'accept' marks masks accepted (a suggested "
        "object becomes a normal one); 'reject' removes them (an object left with no mask "
        "and no prompt goes too). With neither --object nor --frames the whole media item "
        "is decided: accept marks all of it accepted and the item reviewed; reject removes "
        "nothing and marks the item needs-changes (say why with --comment). Reasons: "
        + FLAG_HELP
        + ".",
    )
    add_project_arg(p)
    p.add_argument("action", nargs="?", choices=("accept", "reject"), help="decide on masks")
    p.add_argument(
        "--state",
        choices=QUEUE_STATES,
        default="flagged",
        help="what to list: flagged masks (default), suggested objects, or media items "
        "marked done, reviewed or needs-changes",
    )
    p.add_argument("--media", type=int, metavar="ID", help="the media item (needed to decide)")
    p.add_argument("--frames", metavar="A-B", help="only these frames (inclusive)")
    p.add_argument("--object", dest="object_name", metavar="NAME", help="only this object")
    p.add_argument("--comment", metavar="TEXT", help="a note kept with the decision")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser(
        "status",
        help="list or set media items' workflow states",
        description="Without MEDIA_ID: list every media item's state (todo, in-progress, done, "
        "reviewed, needs-changes) with who set it. With MEDIA_ID (ids separated by commas) and "
        "STATE: set it. Annotators mark items done; reviewers mark them reviewed or "
        "needs-changes (with --comment). The first mask a person makes on an item moves it "
        "from todo to in-progress.",
    )
    add_project_arg(p)
    p.add_argument("media_ids", nargs="?", metavar="MEDIA_ID", help="id or ids (3,5,8)")
    p.add_argument("state", nargs="?", choices=[s.value for s in MediaStatus], metavar="STATE")
    p.add_argument("--comment", metavar="TEXT", help="a note (what needs changing)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser(
        "review-settings",
        help="show or set the review flag thresholds",
        description="Thresholds of the review flags: "
        "min_score (flag model masks less confident than this, 0..1, default 0.75), "
        "score_drop (flag a confidence drop larger than this from one frame to the next, "
        "default 0.25), area_ratio (flag an area change larger than this factor in one frame, "
        "default 1.5), shift (flag a move of the box centre by more than this many box "
        "diagonals in one frame, default 0.5). Changing one recomputes every flag.",
    )
    add_project_arg(p)
    p.add_argument("values", nargs="*", metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_review_settings)

    p = sub.add_parser(
        "stats",
        help="project statistics: counts, annotators, time, review outcomes",
        description="Counts by label, workflow state and mask source; per annotator the media "
        "items, objects and masks they made, active time, median time per image and per "
        "tracked frame, masks per hour, clicks and corrections; review outcomes (accepted and "
        "rejected masks) per annotator, per mask source and per reviewer.",
    )
    add_project_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write the statistics as CSV")
    p.set_defaults(handler=cmd_stats)


def media_scope(project, args) -> tuple[int, int | None, tuple[int, int] | None]:
    """--media, --object and --frames resolved against the project."""
    if args.media is None:
        raise VideoSegError("say which media item with --media ID")
    item = project.media.get(args.media)
    object_id = None
    if args.object_name is not None:
        obj = project.objects.find(item.id, args.object_name)
        if obj is None:
            raise VideoSegError(f"media {item.id} has no object named {args.object_name!r}")
        object_id = obj.id
    frames = parse_frame_range(args.frames, item.frame_count) if args.frames else None
    return item.id, object_id, frames


def cmd_review(args) -> int:
    if args.action is None:
        for name in ("frames", "object_name", "comment"):
            if getattr(args, name) is not None:
                raise VideoSegError(f"--{name.split('_')[0]} needs an action: accept or reject")
        try:
            project = open_project(args)  # writable: stale flags are recomputed
        except ProjectLockedError:
            project = open_project(args, read_only=True)  # the window has it open
        with project:
            items = project.review.items(args.state, args.media)
        if args.json:
            sys.stdout.write(json.dumps([i.to_json() for i in items]) + "\n")
            return 0
        print("media\tframes\tobject\treasons\tscore\tdetail")
        for i in items:
            score = "-" if i.score is None else f"{i.score:.3f}"
            print(
                f"{i.media_id}\t{i.frame_text}\t{i.object_name or '-'}\t{','.join(i.names)}\t"
                f"{score}\t{i.detail}"
            )
        print(f"{plural(len(items), 'item')}", file=sys.stderr)
        return 0
    if args.state != "flagged":
        raise VideoSegError("--state lists the queue; it does not go with accept or reject")
    with open_for_writing(args, f"review {args.action}") as project:
        media_id, object_id, frames = media_scope(project, args)
        decide = project.review.accept if args.action == "accept" else project.review.reject
        outcome = decide(media_id, object_id, frames, args.comment)
    if args.json:
        print(json.dumps({"decision": outcome.decision, "media_id": media_id, "masks": outcome.masks,
                          "objects_removed": outcome.objects_removed_names}))  # fmt: skip
    else:
        print(outcome.line())
    return 0


def cmd_status(args) -> int:
    if args.media_ids is None:
        with open_project(args, read_only=True) as project:
            items = project.media.list()
        rows = [
            {"id": m.id, "name": m.original_name, "status": m.status.value,
             "comment": m.status_comment, "by": m.status_by, "at": m.status_at}
            for m in items
        ]  # fmt: skip
        if args.json:
            sys.stdout.write(json.dumps(rows) + "\n")
        else:
            print("id\tstatus\tby\tname\tcomment")
            for r in rows:
                print(
                    f"{r['id']}\t{r['status']}\t{r['by'] or '-'}\t{r['name']}\t{r['comment'] or ''}"
                )
        return 0
    if args.state is None:
        raise VideoSegError("give the new STATE after the media ids")
    try:
        ids = [int(part) for part in args.media_ids.split(",") if part.strip()]
    except ValueError:
        raise VideoSegError(
            f"media ids must be numbers separated by commas, not {args.media_ids!r}"
        ) from None
    with open_for_writing(args, "status") as project:
        project.review.set_status(ids, args.state, args.comment)
    print(f"media {', '.join(map(str, ids))}: {args.state}")
    return 0


def cmd_review_settings(args) -> int:
    changes = {}
    for text in args.values:
        key, sep, value = text.partition("=")
        if not sep:
            raise VideoSegError(f"expected KEY=VALUE, not {text!r}")
        changes[key.strip().removeprefix("review.")] = value.strip()
    opened = open_for_writing(args, "review-settings") if changes else open_project(args, True)
    with opened as project:
        th = project.review.set_thresholds(**changes) if changes else project.review.thresholds()
    values = {k: getattr(th, k) for k in ReviewThresholds.field_names()}
    if args.json:
        print(json.dumps(values))
    else:
        for key, value in values.items():
            print(f"{key}\t{value:g}")
    return 0


def cmd_stats(args) -> int:
    with open_project(args, read_only=True) as project:
        stats = project_stats(project)
    if args.csv:
        write_stats_csv(stats, args.csv)
    if args.json:
        sys.stdout.write(json.dumps(stats.to_dict()) + "\n")
        return 0
    print(stats_text(stats))
    return 0


def stats_text(s) -> str:
    def counts(d):
        return ", ".join(f"{k} {v}" for k, v in d.items()) or "none"

    def fmt(v, unit=""):
        return "-" if v is None else f"{v:g}{unit}"

    out = [
        f"media: {s.media} ({plural(s.images, 'image')}, {plural(s.videos, 'video')}); objects: {s.objects}; "
        f"masks: {s.masks}; flagged for review: {s.flagged_masks}",
        f"status: {counts(s.media_by_status)}",
        f"masks by source: {counts(s.masks_by_source)}",
        f"objects by label: {counts(s.objects_by_label)}",
        f"masks by label: {counts(s.masks_by_label)}",
        f"clicks per object: {fmt(s.clicks_per_object)}; corrections per track: "
        f"{fmt(s.corrections_per_track)}",
        "annotator\titems\tobjects\tmasks\tactive\ts/image\ts/tracked frame\tmasks/h\t"
        "accepted\trejected\treject rate",
    ]
    for a in s.annotators:
        out.append(
            f"{a.user}\t{a.items}\t{a.objects}\t{a.masks}\t{fmt(round(a.active_s, 1), ' s')}\t"
            f"{fmt(a.median_s_per_image)}\t{fmt(a.median_s_per_tracked_frame)}\t"
            f"{fmt(a.masks_per_hour)}\t{a.accepted}\t{a.rejected}\t{fmt(a.reject_rate)}"
        )
    for title, table in (("source", s.review_by_source), ("reviewer", s.review_by_reviewer)):
        for name, o in table.items():
            out.append(
                f"review by {title} {name}: accepted {o.accepted}, rejected {o.rejected}"
                f" (reject rate {fmt(o.reject_rate)})"
            )
    return "\n".join(out)
