"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from videoseg_desktop.core.errors import ProjectReadOnlyError
from videoseg_desktop.store import Project


def add_project_arg(parser) -> None:
    parser.add_argument(
        "project", metavar="DIR", type=Path, help="project folder (or its project.vseg)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="open the project read-only: its database is not changed and no lock is taken, so "
        "it works while another process writes it (automatic when the folder cannot be "
        "written; commands that change the project then refuse)",
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


def add_op_args(op) -> None:
    """--user and --read-only again on an OP parser below a command (``labels DIR add NAME
    --read-only`` reads naturally too); the command's own defaults stay when they are absent."""
    op.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    add_user_arg(op, in_subcommand=True)


def media_ids(text: str) -> list[int]:
    """An argparse type for ``--media 1,2,5``."""
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ids like 1,2,5, got {text!r}") from None


def open_project(args, read_only: bool = False) -> Project:
    """Open the project of ``args``; read-only when asked, when the command only reads, or when
    the folder cannot be written."""
    return Project.open(
        args.project,
        read_only=read_only or bool(getattr(args, "read_only", False)),
        user=getattr(args, "user", None),
    )


def open_for_writing(args, command: str) -> Project:
    """Open the project for a command that changes it: refused with one line (before any work)
    when the project is read-only."""
    project = open_project(args)
    if project.read_only:
        reason = project.read_only_reason
        project.close()
        raise ProjectReadOnlyError(
            f"{project.root} is read-only ({reason}): `videoseg {command}` would change it; "
            "nothing was done"
        )
    return project


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
