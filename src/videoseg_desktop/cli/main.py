"""Entry point of ``videoseg``. Each command group lives in its own module with a ``register``.

Whatever goes wrong, a user sees one line on stderr and a non-zero exit, never a traceback: our
own errors (VideoSegError), and also the disk's (a full disk, a permission, a read-only file
system) and the database's. SIGTERM and SIGHUP stop a command the way Ctrl-C does, so work in
hand is saved and temporary files are removed (tracking stores the batch it holds).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sqlite3
import sys

from videoseg_desktop import __version__
from videoseg_desktop.core.errors import VideoSegError, describe_os_error

# Modules that add subcommands; each exposes register(subparsers).
COMMAND_MODULES = (
    "videoseg_desktop.cli.project_commands",
    "videoseg_desktop.cli.model_commands",
    "videoseg_desktop.cli.export_commands",
    "videoseg_desktop.cli.track_commands",
    "videoseg_desktop.cli.check_commands",
    "videoseg_desktop.cli.review_commands",
    "videoseg_desktop.cli.attribute_commands",
    "videoseg_desktop.cli.autolabel_commands",
    "videoseg_desktop.cli.boxes_commands",
    "videoseg_desktop.cli.team_commands",
)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (``finally`` blocks save and clean up)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


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


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(signum)


def _install_signal_handlers() -> dict:
    """Route SIGTERM/SIGHUP to ``Terminated``; returns the handlers to put back."""
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                previous[signum] = signal.signal(signum, _raise_terminated)
    return previous


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # names that are not UTF-8 must not crash printing
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = _install_signal_handlers()
    try:
        return _run(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args) -> int:
    try:
        return int(args.handler(args) or 0)
    except VideoSegError as exc:
        return _fail(str(exc))
    except Terminated as exc:
        print("videoseg: stopped by a signal; work in hand was saved", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("videoseg: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        return _fail(describe_os_error(exc))
    except sqlite3.Error as exc:  # the store turns these into VideoSegErrors; a safety net
        return _fail(f"database error: {exc}")
    except MemoryError:
        return _fail("out of memory")
    except RecursionError:
        return _fail("the input is nested too deeply")


def _fail(message: str) -> int:
    line = " ".join(message.split("\n"))
    print(f"videoseg: error: {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
