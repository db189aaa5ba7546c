"""Entry point of ``videoseg``. Each command group lives in its own module with a ``register``."""

from __future__ import annotations

import argparse
import sys

from videoseg_desktop import __version__
from videoseg_desktop.core.errors import VideoSegError

# Modules that add subcommands; each exposes register(subparsers).
COMMAND_MODULES = (
    "videoseg_desktop.cli.project_commands",
    "videoseg_desktop.cli.model_commands",
    "videoseg_desktop.cli.export_commands",
    "videoseg_desktop.cli.track_commands",
    "videoseg_desktop.cli.review_commands",
    "videoseg_desktop.cli.attribute_commands",
    "videoseg_desktop.cli.autolabel_commands",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="videoseg",
        description="VideoSeg Desktop on the command line: projects, media, SAM 2.1 segmentation and tracking, SAM 3 pre-labelling, export.",
    )
    parser.add_argument("--version", action="version", version=f"videoseg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command group not built yet
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except VideoSegError as exc:
        print(f"videoseg: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("videoseg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
