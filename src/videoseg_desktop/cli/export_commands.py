"""Export commands: export, import-annotations, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from videoseg_desktop.cli.common import (
    ProgressLine,
    add_project_arg,
    open_for_writing,
    open_project,
)
from videoseg_desktop.core.errors import ExportError
from videoseg_desktop.export import EXPORTERS, IMPORT_FORMATS, evaluate, import_annotations
from videoseg_desktop.export.readers import READERS
from videoseg_desktop.export.selection import parse_id_list, parse_name_list


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="export annotations as COCO, YouTube-VIS, DAVIS or YOLO-seg",
        description="Write the project's masks in a training format, into a new timestamped folder "
        "under exports/ (or --out). The folder appears only when complete. COCO and YOLO take "
        "images (and, with --frames-as-images, annotated video frames); YouTube-VIS and DAVIS "
        "take videos (every annotated one unless --media is given).",
    )
    add_project_arg(p)
    p.add_argument("--format", required=True, choices=sorted(EXPORTERS), help="output format")
    p.add_argument("--out", type=Path, help="folder to create (with --zip: the zip file)")
    p.add_argument("--labels", metavar="A,B", help="only objects with these labels")
    p.add_argument("--media", metavar="ID,...", help="only these media ids")
    p.add_argument("--zip", action="store_true", help="write one zip file instead of a folder")
    p.add_argument(
        "--status",
        choices=("reviewed", "done", "any"),
        default="any",
        help="only media items reviewed, or done (annotator finished; reviewed included); "
        "default any",
    )
    p.add_argument(
        "--polygons",
        action="store_true",
        help="COCO: polygons instead of RLE (lossy: holes are filled)",
    )
    p.add_argument(
        "--frames-as-images",
        action="store_true",
        help="COCO/YOLO: export annotated video frames as images (JPEG files are written)",
    )
    p.add_argument(
        "--copy-images",
        action="store_true",
        help="COCO: copy the image files into images/ (YOLO always copies them)",
    )
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "import-annotations",
        help="import existing COCO / YouTube-VIS / DAVIS / YOLO annotations",
        description="Add annotations from a dataset as objects and masks (source 'imported'), "
        "matched to the project's media by file name (videos by name and frame count). Labels "
        "are created as needed. One transaction: if anything is wrong nothing changes.",
    )
    add_project_arg(p)
    p.add_argument("--format", required=True, choices=IMPORT_FORMATS)
    p.add_argument("path", metavar="PATH", type=Path, help="JSON file, or dataset folder")
    p.add_argument(
        "--label",
        default="object",
        help="label for objects from formats without classes (DAVIS); default 'object'",
    )
    p.set_defaults(handler=cmd_import_annotations)

    p = sub.add_parser(
        "eval",
        help="compare predicted annotations with ground truth",
        description="Images: IoU and Dice per instance, per class and mean. Videos (YouTube-VIS "
        "or DAVIS on both sides): the DAVIS J (region) and F (boundary) measures per object and "
        "overall, with mean, recall and decay. Formats are recognised from the paths.",
    )
    p.add_argument("--pred", required=True, type=Path, help="predicted annotations")
    p.add_argument("--gt", required=True, type=Path, help="ground-truth annotations")
    p.add_argument("--pred-format", choices=sorted(READERS))
    p.add_argument("--gt-format", choices=sorted(READERS))
    p.add_argument("--mode", choices=("auto", "images", "videos"), default="auto")
    p.add_argument(
        "--skip-first-last",
        action="store_true",
        help="videos: leave out the first and last frame (the DAVIS semi-supervised protocol)",
    )
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(handler=cmd_eval)


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"videoseg: warning: {line}", file=sys.stderr)


def cmd_export(args) -> int:
    options = {}
    if args.polygons:
        if args.format != "coco":
            raise ExportError("--polygons applies to --format coco only")
        options["polygons"] = True
    if args.copy_images:
        if args.format != "coco":
            raise ExportError("--copy-images applies to --format coco only")
        options["copy_images"] = True
    if args.frames_as_images:
        if args.format not in ("coco", "yolo"):
            raise ExportError("--frames-as-images applies to --format coco and yolo only")
        options["frames_as_images"] = True
    progress = ProgressLine(f"exporting {args.format}")
    with open_project(args, read_only=True) as project:
        summary = EXPORTERS[args.format](
            project,
            out_dir=args.out,
            labels=parse_name_list(args.labels),
            media_ids=parse_id_list(args.media),
            zip_output=args.zip,
            progress=progress,
            status=args.status,
            **options,
        )
    progress.finish()
    _warn(summary.warnings)
    print(summary.line())
    return 0


def cmd_import_annotations(args) -> int:
    progress = ProgressLine("importing annotations")
    with open_for_writing(args, "import-annotations") as project:
        summary = import_annotations(
            project, args.format, args.path, label=args.label, progress=progress
        )
    progress.finish()
    _warn(summary.warnings)
    print(summary.line())
    return 0


def cmd_eval(args) -> int:
    progress = ProgressLine("evaluating")
    report = evaluate(
        args.pred,
        args.gt,
        pred_format=args.pred_format,
        gt_format=args.gt_format,
        mode=args.mode,
        skip_first_last=args.skip_first_last,
        progress=progress,
    )
    progress.finish()
    _warn(report.warnings)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.text())
    return 0
