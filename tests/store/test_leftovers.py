"""Temporary files of killed imports, exports and tracking runs are removed on the next open
for writing, and only those whose process is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from videoseg_desktop.store import Project
from videoseg_desktop.store.leftovers import LEGACY_AGE_S, owner_tag, pid_alive


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_pid_alive():
    assert pid_alive(os.getpid()) and not pid_alive(dead_pid()) and not pid_alive(0)
    assert owner_tag(123) == "p123"


def test_leftovers_of_dead_processes_go_live_ones_stay(tmp_path):
    root = tmp_path / "p"
    Project.create(root).close()
    dead, live = dead_pid(), os.getpid()
    made = {
        "dead import": root / "media" / f".import-p{dead}-abc123",
        "live import": root / "media" / f".import-p{live}-def456",
        "dead export": root / "exports" / f".coco-20260101.partial-p{dead}-x1",
        "dead zip": root / "exports" / f".coco-2026.zip.partial-p{dead}-x2.zip",
        "live export": root / "exports" / f".yolo-2026.partial-p{live}-x3",
        "dead tracking": root / "cache" / "tracking" / f"p{dead}",
        "live tracking": root / "cache" / "tracking" / f"p{live}",
        "old legacy": root / "media" / ".import-oldstyle",
        "new legacy": root / "media" / ".import-recent",
        "media": root / "media" / "photo.png",
        "export": root / "exports" / "coco-20260101-101010",
    }
    for name, path in made.items():
        if "export" in name and "zip" not in name or "tracking" in name:
            path.mkdir(parents=True)
            (path / "annotations.json").write_text("{}")
        else:
            path.write_bytes(b"x" * 100)
    old = time.time() - LEGACY_AGE_S - 60
    os.utime(made["old legacy"], (old, old))
    with Project.open(root) as p:
        removed = set(p.leftovers_removed)
    gone = {name for name, path in made.items() if not path.exists()}
    assert gone == {"dead import", "dead export", "dead zip", "dead tracking", "old legacy"}
    assert removed == {made[n] for n in gone}
    with Project.open(root, read_only=True) as p:  # read-only never deletes
        assert p.leftovers_removed == []
