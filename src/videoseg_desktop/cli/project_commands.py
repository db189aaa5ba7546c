"""Project commands: new, import, labels, info, frame."""

from __future__ import annotations

import json
import math
import sys
from json.encoder import encode_basestring_ascii as _quote
from pathlib import Path

from videoseg_desktop.cli.common import (
    ProgressLine,
    add_op_args,
    add_project_arg,
    add_user_arg,
    open_for_writing,
    open_project,
)
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store import Project


def register(sub) -> None:
    p = sub.add_parser(
        "new", help="create a project folder", description="Create a new, empty project."
    )
    p.add_argument("project", metavar="DIR", type=Path, help="folder to create the project in")
    p.add_argument("--name", help="project name (default: the folder's name)")
    add_user_arg(p)
    p.set_defaults(handler=cmd_new)

    p = sub.add_parser(
        "import",
        help="import images and videos",
        description="Import images (PNG, JPEG, BMP, TIFF, WebP) and videos (MP4, MOV, MKV, AVI, WebM). "
        "Files are copied into the project's media/ folder unless --link is given. Files already in the "
        "project (same content) are skipped. If one file is bad, nothing is imported.",
    )
    add_project_arg(p)
    p.add_argument("files", metavar="FILE", nargs="+", type=Path)
    p.add_argument(
        "--link", action="store_true", help="reference the files where they are instead of copying"
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="decode every frame of each video now (slower), so a file corrupt in the middle "
        "is refused at import instead of when tracking reaches it",
    )
    p.add_argument(
        "--scrub-proxies",
        action="store_true",
        help="also build each new video's scrub proxy now (small JPEGs in cache/scrub/ that "
        "make dragging the playhead instant); otherwise the window builds them when needed",
    )
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "labels",
        help="list or edit labels",
        description="List labels, or add/rename/recolor/remove one.",
    )
    add_project_arg(p)
    ops = p.add_subparsers(dest="op", metavar="OP")
    op = ops.add_parser("add", help="add a label")
    op.add_argument("name")
    op.add_argument("--color", help="colour as #RRGGBB (default: next palette colour)")
    op = ops.add_parser("rename", help="rename a label")
    op.add_argument("old")
    op.add_argument("new")
    op = ops.add_parser("recolor", help="change a label's colour")
    op.add_argument("name")
    op.add_argument("color", help="#RRGGBB")
    op = ops.add_parser("remove", help="remove a label (its objects stay, unlabelled)")
    op.add_argument("name")
    for op in ops.choices.values():
        add_op_args(op)
    p.set_defaults(handler=cmd_labels)

    p = sub.add_parser("info", help="show a project's labels, media and counts")
    add_project_arg(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser(
        "frame",
        help="write one decoded frame as PNG",
        description="Write frame INDEX of a media item, exactly as decoded.",
    )
    add_project_arg(p)
    p.add_argument("media_id", metavar="MEDIA_ID", type=int)
    p.add_argument("index", metavar="INDEX", type=int)
    p.add_argument("--out", required=True, type=Path, help="PNG file to write")
    p.set_defaults(handler=cmd_frame)


def cmd_new(args) -> int:
    with Project.create(args.project, name=args.name, user=args.user) as project:
        print(f"created project {project.name!r} in {project.root}")
    return 0


def cmd_import(args) -> int:
    progress = ProgressLine("importing")
    with open_for_writing(args, "import") as project:
        report = project.import_media(
            args.files, link=args.link, progress=progress, verify=args.verify
        )
        progress.finish()
        if args.scrub_proxies:
            _build_scrub_proxies(project, report.added)
    for item in report.added:
        print(
            f"{item.id}\t{item.kind.value}\t{item.original_name}\t{item.width}x{item.height}\t{plural(item.frame_count, 'frame')}"
        )
    for path, existing in report.duplicates:
        print(
            f"skipped {path.name}: same content as media {existing.id} ({existing.original_name})",
            file=sys.stderr,
        )
    return 0


def _build_scrub_proxies(project, items) -> None:
    """One pass per video, after the import is committed: Ctrl+C loses no imported file."""
    from videoseg_desktop.media.scrub_proxy import MIN_FRAMES, build_scrub_proxy, media_proxy_dir

    for item in items:
        if item.frame_count < MIN_FRAMES:
            continue
        progress = ProgressLine(f"scrub proxy of {item.original_name}")
        with project.open_frames(item) as frames:
            build_scrub_proxy(
                frames,
                media_proxy_dir(project.cache_dir, item.id, item.sha256),
                on_progress=progress,
            )
        progress.finish()


def cmd_labels(args) -> int:
    opener = open_project(args, read_only=True) if args.op is None else None
    with opener or open_for_writing(args, f"labels {args.op}") as project:
        labels = project.labels
        if args.op == "add":
            label = labels.add(args.name, args.color)
            print(f"added {label.name} {label.color}")
        elif args.op == "rename":
            labels.rename(args.old, args.new)
        elif args.op == "recolor":
            labels.recolor(args.name, args.color)
        elif args.op == "remove":
            labels.remove(args.name)
        else:
            for label in labels.list():
                print(f"{label.name}\t{label.color}")
    return 0


def cmd_info(args) -> int:
    with open_project(args, read_only=True) as project:
        info, rows = _info(project)
    if args.json:
        # The media last, written row by row (see _media_json); the rest by json.dumps, whose
        # fast C encoder only runs without indent.
        head = json.dumps({**info, "media": None})  # ends with "null}"
        sys.stdout.write(head[: -len("null}")] + _media_json(rows) + "}\n")
        return 0
    out = [f"project {info['name']} ({info['root']})"]
    label_text = ", ".join(f"{lb['name']} {lb['color']}" for lb in info["labels"])
    out.append(f"labels: {label_text or '(none)'}")
    out.append(
        f"media: {info['counts']['media']} ({plural(info['counts']['images'], 'image')}, {plural(info['counts']['videos'], 'video')},"
        f" {info['counts']['annotated']} annotated); objects: {info['counts']['objects']}; masks: {info['counts']['masks']}"
    )
    sources = ", ".join(f"{k} {n}" for k, n in info["masks_by_source"].items() if n)
    states = ", ".join(f"{n} {k}" for k, n in info["objects_by_state"].items() if n)
    out.append(f"masks by source: {sources or '-'}; objects: {states or '-'}")
    out.append("id\tkind\twidth\theight\tframes\tfps\tname")
    for media_id, name, kind, width, height, frames, fps, _done in rows:
        fps_text = f"{fps:.3f}" if fps else "-"
        out.append(f"{media_id}\t{kind}\t{width}\t{height}\t{frames}\t{fps_text}\t{name}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


MEDIA_KEYS = ("id", "name", "kind", "width", "height", "frames", "fps", "annotated")


def _info(project: Project) -> tuple[dict, list[tuple]]:
    """Everything but the media list, and the media rows (id, name, kind, width, height,
    frames, fps, annotated). One read of the rows gives the list and the media counts; the
    object and mask totals come with their breakdown (indexes, one pass each)."""
    rows = project.db.rows_fast_text(
        "SELECT id, original_name, kind, width, height, frame_count, fps, annotated FROM media ORDER BY id"
    )
    annotated = sum(1 for r in rows if r[7])
    videos = sum(1 for r in rows if r[2] == "video")
    totals, breakdown = project.objects.counts_and_breakdown()
    counts = {
        "media": len(rows),
        "annotated": annotated,
        "videos": videos,
        "images": len(rows) - videos,
        **totals,
    }
    labels = [{"name": lb.name, "color": lb.color} for lb in project.labels.list()]
    info = {
        "name": project.name,
        "root": str(project.root),
        "labels": labels,
        "counts": counts,
        **breakdown,
    }
    return info, rows


def _media_json(rows: list[tuple]) -> str:
    """The media rows as the JSON list ``json.dumps`` writes for their records, byte for byte,
    one f-string per row: a dict per row through the encoder took twice as long (0.6 of the
    2 s of `info --json` at 200,000 images). A row with anything but the usual types (a
    damaged or crafted project) goes through ``json.dumps``."""
    out = []
    for row in rows:
        media_id, name, kind, width, height, frames, fps, done = row
        if (
            type(media_id) is int
            and type(name) is str
            and type(kind) is str
            and type(width) is int
            and type(height) is int
            and type(frames) is int
            and (fps is None or (type(fps) is float and math.isfinite(fps)))
        ):
            fps_text = "null" if fps is None else repr(fps)
            out.append(
                f'{{"id": {media_id}, "name": {_quote(name)}, "kind": {_quote(kind)}, '
                f'"width": {width}, "height": {height}, "frames": {frames}, '
                f'"fps": {fps_text}, "annotated": {"true" if done else "false"}}}'
            )
        else:
            record = dict(zip(MEDIA_KEYS, row, strict=True))
            record["annotated"] = bool(done)
            out.append(json.dumps(record))
    return "[" + ", ".join(out) + "]"


def cmd_frame(args) -> int:
    from PIL import Image

    with open_project(args, read_only=True) as project:
        item = project.media.get(args.media_id)
        if not 0 <= args.index < item.frame_count:
            raise VideoSegError(
                f"frame {args.index} is out of range: media {item.id} has {plural(item.frame_count, 'frame')}"
            )
        source = project.open_frames(item)
        try:
            rgb = source.read(args.index)
        finally:
            source.close()
    try:
        Image.fromarray(rgb).save(args.out, format="PNG")
    except OSError as exc:
        raise VideoSegError(f"cannot write {args.out}: {exc}") from exc
    print(
        f"wrote frame {args.index} of media {item.id} ({rgb.shape[1]}x{rgb.shape[0]}) to {args.out}"
    )
    return 0
