"""Team commands: split a project into work packages, merge them back."""

from __future__ import annotations

import sys
from pathlib import Path

from videoseg_desktop.cli.common import ProgressLine, add_project_arg, open_for_writing
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_split import annotator_names, split_project


def register(sub) -> None:
    p = sub.add_parser(
        "split",
        help="split a project into work packages, one per annotator",
        description="Write N self-contained projects (labels, attribute schemas, settings, their "
        "media, existing annotations with their authors), each with a manifest tying it to this "
        "project. Annotators work on them anywhere; `videoseg merge` brings their work back.",
    )
    add_project_arg(p)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--into", type=int, metavar="N", help="N packages (annotator-1..N)")
    who.add_argument(
        "--per-annotator", metavar="A,B,C", help="one package per annotator, named for them"
    )
    p.add_argument("--out", required=True, type=Path, help="folder to write the packages in")
    share = p.add_mutually_exclusive_group()
    share.add_argument(
        "--by",
        choices=("media",),
        default="media",
        help="share media items equally in import order (default)",
    )
    share.add_argument(
        "--by-count",
        action="store_true",
        help="share by frame count instead (a 1,000-frame video weighs as much as 1,000 images)",
    )
    p.add_argument(
        "--link",
        action="store_true",
        help="link the packages to the project's media files instead of copying them (for a "
        "shared disk)",
    )
    p.set_defaults(handler=cmd_split)

    p = sub.add_parser(
        "merge",
        help="merge work packages back into their project",
        description="Bring each package's work back, with its authors and times, one "
        "transaction per package. An item changed both here and in a package (or in two "
        "packages) is a conflict: both versions are kept as objects in the 'conflict' state "
        "for review. Merging a package again changes nothing.",
    )
    add_project_arg(p)
    p.add_argument("packages", metavar="PACKAGE", nargs="+", type=Path)
    p.set_defaults(handler=cmd_merge)


def cmd_split(args) -> int:
    names = None
    if args.per_annotator is not None:
        names = [n for n in args.per_annotator.split(",") if n.strip()]
        if not names:
            raise VideoSegError("--per-annotator needs at least one name")
    annotators = annotator_names(args.into, names)
    progress = ProgressLine("splitting")
    with open_for_writing(args, "split") as project:
        infos = split_project(
            project,
            args.out,
            annotators,
            by_frames=args.by_count,
            link=args.link,
            progress=progress,
        )
    progress.finish()
    for info in infos:
        print(
            f"{info.annotator}\t{info.folder}\t{plural(info.media, 'media item')}, "
            f"{plural(info.frames, 'frame')}, {plural(info.objects, 'object')}"
        )
    return 0


def cmd_merge(args) -> int:
    failed = 0
    with open_for_writing(args, "merge") as project:
        for folder in args.packages:
            try:
                report = merge_package(project, folder)
            except VideoSegError as exc:
                print(f"videoseg: error: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(report.line())
            for c in report.conflicts:
                print(f"  conflict\t{c.media}\t{c.item}\t{c.why}")
            for line in report.media_refused:
                print(f"  media refused\t{line}")
            if report.skipped_media:
                print(f"  {plural(report.skipped_media, 'media item')} no longer here")
    return 1 if failed else 0
