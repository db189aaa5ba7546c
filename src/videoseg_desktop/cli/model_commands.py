"""Model commands (`videoseg models list|download|import`) and `videoseg segment`.

torch is imported only by the handlers that run a model, so `videoseg --help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from videoseg_desktop.cli.common import add_project_arg, open_for_writing
from videoseg_desktop.core.errors import ProjectError, VideoSegError
from videoseg_desktop.core.masks import rle_area, rle_bbox
from videoseg_desktop.core.prompts import Box, Point
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.core.review_rules import clamp_score
from videoseg_desktop.core.text import plural, size_text

MODEL_OPTIONS_HELP = "model name (official: tiny, small, base_plus, large; or an imported name)"


def register(sub) -> None:
    models = sub.add_parser(
        "models",
        help="list, download or import models (SAM 2.1 checkpoints, SAM 3)",
        description="Manage models in the models folder (the user cache, or "
        "$VIDEOSEG_MODELS_DIR): SAM 2.1 checkpoints for clicks and tracking, and SAM 3 "
        "(transformers model folders) for concept pre-labelling.",
    )
    ops = models.add_subparsers(dest="op", metavar="OP", required=True)
    op = ops.add_parser("list", help="show the models and whether they are downloaded")
    op.add_argument("--json", action="store_true", help="print JSON")
    op.set_defaults(handler=cmd_models_list)
    op = ops.add_parser(
        "download",
        help="download official models",
        description="Download official SAM 2.1 checkpoints from Meta (resuming an interrupted "
        "download, verified by size, SHA-256 and weights), or SAM 3 from the Hugging Face hub "
        "(facebook/sam3, gated: request access on its page first; the token comes from "
        "HF_TOKEN, `hf auth login` or --token; the SAM License is shown once to accept).",
    )
    op.add_argument(
        "names", metavar="NAME", nargs="+", help="tiny, small, base_plus, large or sam3"
    )
    op.add_argument("--token", help="Hugging Face token for SAM 3 (default: HF_TOKEN or login)")
    op.add_argument(
        "--accept-licence",
        "--accept-license",
        dest="accept_licence",
        action="store_true",
        help="accept the SAM 3 licence without being asked (scripts)",
    )
    op.set_defaults(handler=cmd_models_download)
    op = ops.add_parser(
        "import",
        help="import a SAM 2.1 checkpoint file or a SAM 3 model folder",
        description="Copy a SAM 2.1 checkpoint ({'model': state_dict}, as sam2 saves it) into the "
        "models folder after checking that it loads safely into its architecture; or a SAM 3 "
        "model folder in transformers format (config.json, model.safetensors, processor and "
        "tokenizer files; safetensors only, no custom code) after checking its files and that "
        "its weights fit its config.",
    )
    op.add_argument("path", metavar="PATH", type=Path, help="checkpoint file or SAM 3 folder")
    op.add_argument(
        "--config", help="SAM 2.1 architecture: tiny, small, base_plus or large (default: detect)"
    )
    op.add_argument("--name", help="name to use it under (default: the file's name)")
    op.set_defaults(handler=cmd_models_import)

    seg = sub.add_parser(
        "segment",
        help="segment an object on one frame from clicks and/or a box",
        description="Add point/box prompts to an object on one frame (creating the object and "
        "its label if needed), run SAM 2.1 on all of that frame's prompts, and store the mask.",
    )
    add_project_arg(seg)
    seg.add_argument("media_id", metavar="MEDIA_ID", type=int)
    seg.add_argument("--frame", type=int, default=0, help="frame index (default 0)")
    seg.add_argument(
        "--object", dest="object_name", metavar="NAME", help="object name (default: a new object)"
    )
    seg.add_argument("--label", help="label of the object (created if missing)")
    seg.add_argument(
        "--point",
        dest="points",
        action="append",
        default=[],
        type=parse_point,
        metavar="X,Y[,1|0]",
        help="click in source pixels; 1 = on the object (default), 0 = not on it; repeatable",
    )
    seg.add_argument("--box", type=parse_box, metavar="X0,Y0,X1,Y1", help="box in source pixels")
    add_model_options(seg)
    seg.add_argument("--json", action="store_true", help="print the result as JSON")
    seg.set_defaults(handler=cmd_segment)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model/--checkpoint/--image-size/--device/--precision (shared with the track commands)."""
    parser.add_argument("--model", help=MODEL_OPTIONS_HELP + " (default: project setting)")
    parser.add_argument("--checkpoint", type=Path, help="checkpoint file to load instead")
    parser.add_argument(
        "--image-size",
        type=int,
        help="model input size: 1024, or 512 for speed (default: the project's, else 512 on a "
        "CPU and 1024 on a GPU)",
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps (default: best available)")
    parser.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "fp32", "bf16", "int8"),
        help="auto: bf16 on GPUs, fp32 on CPUs; bf16 or int8 (quantized image encoder, CPU"
        " only) encode faster on a CPU, masks differ on under 1%% of pixels (default: auto)",
    )


def load_engine(args, project):
    """The engine the options of ``add_model_options`` ask for, else the project's defaults."""
    from videoseg_desktop.inference.engine import SamEngine

    model, size = engine_choice(args, project)
    return SamEngine.load(
        model=model,
        checkpoint=args.checkpoint,
        image_size=size,
        device=args.device,
        precision=args.precision,
    )


def engine_choice(args, project, resolve: bool = False) -> tuple[str, int | str]:
    """(model name, input size) from the options, else the project's settings.

    The size may be "auto" (chosen from the device when the model loads); ``resolve`` turns it
    into the number now, for a run that must know its model id before loading the model.
    """
    # The project's stored choices are checked like typed ones (store.settings): a shared project
    # must not pick what gets loaded.
    try:
        model = args.model or project.settings.get("default_model") or "tiny"
        size = args.image_size or project.settings.get("image_size") or "auto"
    except ProjectError as exc:
        raise ProjectError(f"{exc}; pass --model and --image-size to choose") from None
    if resolve:
        from videoseg_desktop.inference.device import choose_device, resolve_image_size

        size = resolve_image_size(size, choose_device(args.device))
    return model, size


def parse_point(text: str) -> Point:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (2, 3) or (len(values) == 3 and values[2] not in (0, 1)):
        raise argparse.ArgumentTypeError(f"expected X,Y or X,Y,1 or X,Y,0, got {text!r}")
    return Point(values[0], values[1], positive=len(values) == 2 or values[2] == 1)


def parse_box(text: str) -> Box:
    try:
        values = [float(p) for p in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"expected X0,Y0,X1,Y1, got {text!r}")
    box = Box(*values).normalized()
    if box.x0 == box.x1 or box.y0 == box.y1:
        raise argparse.ArgumentTypeError(f"the box {text!r} is empty")
    return box


# -- models ---------------------------------------------------------------------------------


def cmd_models_list(args) -> int:
    from videoseg_desktop.cli.sam3_model_commands import sam3_rows
    from videoseg_desktop.inference.registry import list_models, models_dir

    data = [
        {
            "name": r.name,
            "family": "sam2.1",
            "config": r.config,
            "size_bytes": r.size_bytes,
            "downloaded": r.downloaded,
            "imported": r.imported,
            "path": str(r.path),
        }
        for r in list_models()
    ] + sam3_rows()
    if args.json:
        print(json.dumps({"models_dir": str(models_dir()), "models": data}))
        return 0
    print(f"models folder: {models_dir()}")
    print("name\tsize\tdownloaded\tpath\tfamily")
    for r in data:
        size = _mib(r["size_bytes"]) if r["size_bytes"] is not None else "-"
        state = "yes" if r["downloaded"] else "no"
        if r["imported"]:
            state += " (imported)"
        print(f"{r['name']}\t{size}\t{state}\t{r['path']}\t{r['family']}")
    return 0


def cmd_models_download(args) -> int:
    from videoseg_desktop.cli import sam3_model_commands
    from videoseg_desktop.inference.download import download_model
    from videoseg_desktop.inference.registry import find_checkpoint, get_spec
    from videoseg_desktop.inference.sam3_registry import OFFICIAL_SAM3

    # unknown names fail before any download
    specs = [None if name == OFFICIAL_SAM3 else get_spec(name) for name in args.names]
    for spec in specs:
        if spec is None:
            sam3_model_commands.download(OFFICIAL_SAM3, args, ByteProgress)
            continue
        present = find_checkpoint(spec.name)
        if present is not None:
            print(f"{spec.name}: already downloaded at {present}")
            continue
        progress = ByteProgress(f"downloading {spec.filename}")
        try:
            path = download_model(spec.name, progress)
        finally:
            progress.finish()
        print(f"{spec.name}: saved to {path}")
    return 0


def cmd_models_import(args) -> int:
    from videoseg_desktop.inference.checkpoint import import_checkpoint

    if args.path.expanduser().is_dir():
        from videoseg_desktop.cli.sam3_model_commands import import_folder

        if args.config:
            raise VideoSegError("--config is for SAM 2.1 checkpoint files, not SAM 3 folders")
        import_folder(args.path, args.name)
        return 0
    path = import_checkpoint(args.path, args.config, args.name)
    print(f"imported {args.path} to {path}")
    return 0


class ByteProgress:
    """Download progress on stderr: redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.tty = sys.stderr.isatty()
        self._shown = -1
        self._width = 0

    def __call__(self, done: int, total: int) -> None:
        step = int(100 * done / total) if total else 0
        if step == self._shown or (not self.tty and step % 10 and done != total):
            return
        self._shown = step
        pct = f" {100 * done / total:5.1f}%" if total else ""
        line = f"{self.what}: {_mib(done)} of {_mib(total) if total else '?'}{pct}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.tty and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _mib(n: int) -> str:
    return size_text(n)  # the window says sizes the same way


# -- segment --------------------------------------------------------------------------------


def cmd_segment(args) -> int:

    if not args.points and args.box is None:
        raise VideoSegError("give at least one --point or a --box")
    with open_for_writing(args, "segment") as project:
        item = project.media.get(args.media_id)
        if not 0 <= args.frame < item.frame_count:
            raise VideoSegError(
                f"frame {args.frame} is out of range: media {item.id} has {plural(item.frame_count, 'frame')}"
            )
        _check_inside(args.points, args.box, item.width, item.height)
        obj = project.objects.find(item.id, args.object_name) if args.object_name else None
        old_points, old_box = _stored_prompts(project, obj, args.frame)
        if args.box is not None and old_box is not None:
            old_box = None  # the new box replaces the frame's old one (one box per object)
        points = old_points + list(args.points)
        box = args.box if args.box is not None else old_box

        engine = load_engine(args, project)
        with project.open_frames(item) as frames:
            rgb = frames.read(args.frame)
        started = time.perf_counter()
        result = engine.image_session().predict((item.id, args.frame), rgb, points, box)
        elapsed = time.perf_counter() - started

        # Everything is computed: now one transaction writes prompts and mask, or nothing.
        with project.transaction():
            label = None
            if args.label:
                label = project.labels.get(args.label) or project.labels.add(args.label)
            if obj is None:
                obj = project.objects.add(
                    item.id, label.id if label else None, name=args.object_name
                )
            elif label is not None and obj.label_id != label.id:
                obj = project.objects.set_label(obj.id, label.id)
            if args.box is not None:
                for p in project.prompts.list(obj.id, args.frame):
                    if p.kind == "box":
                        project.prompts.delete(p.id)
                project.prompts.add(obj.id, args.frame, "box", _box_coords(args.box), True)
            for p in args.points:
                project.prompts.add(obj.id, args.frame, "point", (p.x, p.y), p.positive)
            project.masks.put(
                obj.id,
                args.frame,
                result.rle,
                MaskSource.CLICKED,
                engine.model_id,
                score=clamp_score(result.score),  # SAM's predicted IoU of the chosen mask
            )

    report = {
        "object_id": obj.id,
        "object": obj.name,
        "label": args.label,
        "media_id": item.id,
        "frame": args.frame,
        "points": len(points),
        "box": box is not None,
        "area": rle_area(result.rle),
        "bbox": rle_bbox(result.rle),
        "score": round(result.score, 4),
        "model": engine.model_id,
        "device": engine.device,
        "encode_s": round(result.encode_s, 3),
        "predict_s": round(elapsed, 3),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"object {obj.id} ({obj.name}) frame {args.frame}: mask of {report['area']} px, "
            f"predicted IoU {report['score']:.3f} ({engine.model_id} on {engine.device}, "
            f"{elapsed:.2f} s)"
        )
    return 0


def _stored_prompts(project, obj, frame: int) -> tuple[list[Point], Box | None]:
    if obj is None:
        return [], None
    points, box = [], None
    for p in project.prompts.list(obj.id, frame):
        if p.kind == "point":
            points.append(Point(p.coords[0], p.coords[1], p.positive))
        else:
            box = Box(*p.coords)
    return points, box


def _box_coords(box: Box) -> tuple[float, float, float, float]:
    return (box.x0, box.y0, box.x1, box.y1)


def _check_inside(points: list[Point], box: Box | None, width: int, height: int) -> None:
    corners = [(p.x, p.y) for p in points]
    if box is not None:
        corners += [(box.x0, box.y0), (box.x1, box.y1)]
    for x, y in corners:
        if not (0 <= x <= width and 0 <= y <= height):
            raise VideoSegError(f"prompt ({x:g}, {y:g}) lies outside the {width}x{height} frame")
