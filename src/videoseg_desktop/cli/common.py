"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from videoseg_desktop.store import Project


def add_project_arg(parser) -> None:
    parser.add_argument(
        "project", metavar="DIR", type=Path, help="project folder (or its project.vseg)"
    )
    add_user_arg(parser)


def add_user_arg(parser, in_subcommand: bool = False) -> None:
    """--user; ``in_subcommand`` for an OP parser below a command that has it already (both
    places work: ``labels DIR --user X add a`` and ``labels DIR add a --user X``)."""
    extra = {"default": argparse.SUPPRESS} if in_subcommand else {}
    parser.add_argument(
        "--user",
        metavar="NAME",
        **extra,
        help="who is working, recorded with every change (default: $VIDEOSEG_USER, else the "
        "login name)",
    )


def open_project(args, read_only: bool = False) -> Project:
    return Project.open(args.project, read_only=read_only, user=getattr(args, "user", None))


class ProgressLine:
    """A one-line progress display on stderr, redrawn in place when stderr is a terminal."""

    def __init__(self, what: str):
        self.what = what
        self.tty = sys.stderr.isatty()
        self._last = ""

    def __call__(self, done: int, total: int, detail: str = "") -> None:
        pct = f"{100 * done / total:5.1f}%" if total else ""
        line = f"{self.what}: {done}/{total} {pct} {detail}".rstrip()
        if self.tty:
            sys.stderr.write("\r" + line.ljust(len(self._last)))
        elif done == total:
            sys.stderr.write(line + "\n")
        self._last = line
        sys.stderr.flush()

    def finish(self) -> None:
        if self.tty and self._last:
            sys.stderr.write("\n")
