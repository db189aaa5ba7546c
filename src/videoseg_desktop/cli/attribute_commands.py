"""Attribute commands: attributes (a label's schema) and set-attribute (a value on an object)."""

from __future__ import annotations

import json
import sys

from videoseg_desktop.cli.common import (
    add_op_args,
    add_project_arg,
    open_for_writing,
    open_project,
)
from videoseg_desktop.core.attributes import AttributeKind, parse_value
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.review_rules import parse_frame_range
from videoseg_desktop.core.text import plural


def register(sub) -> None:
    p = sub.add_parser(
        "attributes",
        help="list, add or remove a label's attributes",
        description="A label's attribute schema. Types: bool, choice (--choices a,b,c), number "
        "(optionally --min/--max), text. --per-frame: a video's value can differ from frame to "
        "frame (occluded on frames 30-45); otherwise one value per object. Removing an "
        "attribute removes its values.",
    )
    add_project_arg(p)
    p.add_argument("label", metavar="LABEL")
    p.add_argument("--json", action="store_true", help="print JSON (listing)")
    ops = p.add_subparsers(dest="op", metavar="OP")
    op = ops.add_parser("add", help="add an attribute")
    op.add_argument("name", metavar="NAME")
    op.add_argument("--type", required=True, choices=[k.value for k in AttributeKind])
    op.add_argument("--choices", metavar="A,B", help="the values of a choice")
    op.add_argument("--min", type=float, dest="min_value", help="a number's minimum")
    op.add_argument("--max", type=float, dest="max_value", help="a number's maximum")
    op.add_argument("--per-frame", action="store_true", help="a value per frame range")
    add_op_args(op)
    op = ops.add_parser("remove", help="remove an attribute and its values")
    op.add_argument("name", metavar="NAME")
    add_op_args(op)
    p.set_defaults(handler=cmd_attributes)

    p = sub.add_parser(
        "set-attribute",
        help="set an attribute of an object",
        description="Set NAME=VALUE on an object (bool: true/false/yes/no/1/0; number; choice; "
        "text). A per-frame attribute takes --frames A-B (default: every frame); an empty "
        "VALUE (NAME=) removes the value.",
    )
    add_project_arg(p)
    p.add_argument("media_id", metavar="MEDIA_ID", type=int)
    p.add_argument("--object", dest="object_name", metavar="NAME", required=True)
    p.add_argument("assignment", metavar="NAME=VALUE")
    p.add_argument("--frames", metavar="A-B", help="frames of a per-frame attribute (inclusive)")
    p.set_defaults(handler=cmd_set_attribute)


def cmd_attributes(args) -> int:
    opened = open_project(args, True) if args.op is None else open_for_writing(args, "attributes")
    with opened as project:
        label = project.labels.require(args.label)
        attrs = project.attributes
        if args.op == "add":
            choices = [c.strip() for c in args.choices.split(",")] if args.choices else ()
            spec = attrs.add_spec(
                label.id, args.name, args.type, choices, args.min_value, args.max_value,
                args.per_frame,
            )  # fmt: skip
            print(f"added {spec.name} to {label.name}: {spec.describe()}")
            return 0
        if args.op == "remove":
            _, values = attrs.remove_spec(label.id, args.name)
            print(f"removed {args.name} from {label.name} ({plural(len(values), 'value')} with it)")
            return 0
        specs = attrs.specs(label.id)
    if args.json:
        sys.stdout.write(json.dumps([s.to_json() for s in specs]) + "\n")
    else:
        for spec in specs:
            print(f"{spec.name}\t{spec.describe()}")
    return 0


def cmd_set_attribute(args) -> int:
    name, sep, text = args.assignment.partition("=")
    if not sep or not name.strip():
        raise VideoSegError(f"expected NAME=VALUE, not {args.assignment!r}")
    with open_for_writing(args, "set-attribute") as project:
        item = project.media.get(args.media_id)
        obj = project.objects.find(item.id, args.object_name)
        if obj is None:
            raise VideoSegError(f"media {item.id} has no object named {args.object_name!r}")
        if obj.label_id is None:
            raise VideoSegError(f"object {obj.name!r} has no label, so no attributes")
        label = project.labels.by_id(obj.label_id)
        spec = project.attributes.spec(label.id, name.strip())
        if spec is None:
            known = ", ".join(s.name for s in project.attributes.specs(label.id)) or "none"
            raise VideoSegError(
                f"label {label.name!r} has no attribute {name.strip()!r} (it has: {known})"
            )
        frames = None
        if args.frames:
            if not spec.per_frame:
                raise VideoSegError(f"attribute {spec.name!r} is per object: it takes no --frames")
            frames = parse_frame_range(args.frames, item.frame_count)
        elif spec.per_frame:
            frames = (0, item.frame_count - 1)
        value = parse_value(spec, text) if text != "" else None
        project.attributes.set_value(obj.id, spec, value, frames)
    where = "" if frames is None else f" on frames {frames[0]}-{frames[1]}"
    shown = "(removed)" if value is None else json.dumps(value)
    print(f"{obj.name}: {spec.name} = {shown}{where}")
    return 0
