"""`videoseg check DIR`: report what is wrong with a project and what to do; changes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from videoseg_desktop.cli.common import ProgressLine
from videoseg_desktop.core.text import plural


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="check a project's database, media files and masks",
        description="Check a project without changing it: SQLite's integrity check, the "
        "settings, every media file (present, inside media/, same size and hash as imported), "
        "each video's frame index, every mask, and leftovers of interrupted work. Prints what "
        "is wrong and what to do (restore from a backup, re-link media); exits 1 if anything "
        "is wrong.",
    )
    p.add_argument("project", metavar="DIR", type=Path, help="project folder (or its project.vseg)")
    p.add_argument(
        "--no-hash",
        action="store_true",
        help="skip reading every media file to compare its hash (quicker; sizes still checked)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_check)


def cmd_check(args) -> int:
    from videoseg_desktop.store.integrity import check_project

    progress = ProgressLine("checking media")
    report = check_project(args.project, hashes=not args.no_hash, progress=progress)
    progress.finish()
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0 if report.ok else 1
    checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
    print(f"checked {report.root}: {checked or 'nothing readable'}")
    for finding in report.findings:
        print(f"problem ({finding.area}): {finding.problem}")
        print(f"  what to do: {finding.advice}")
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        print("no problems found")
        return 0
    print(f"{plural(len(report.findings), 'problem')} found", file=sys.stderr)
    return 1
