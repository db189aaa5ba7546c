"""`videoseg info` on a project with many images (default 100,000): wall time of the real command.

Prints JSON. Media rows are inserted through the repository (no pixels are needed for `info`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from videoseg_desktop.core.records import MediaItem, MediaKind
from videoseg_desktop.store import Project


def build(root: Path, n: int) -> float:
    start = time.perf_counter()
    with Project.create(root) as project, project.transaction():
        project.labels.add("cat")
        for i in range(n):
            project.media.insert(
                MediaItem(
                    0,
                    MediaKind.IMAGE,
                    f"media/img_{i:06d}.jpg",
                    f"img_{i:06d}.jpg",
                    1000,
                    f"{i:064x}",
                    640,
                    480,
                    1,
                    None,
                    None,
                    "2026-01-01T00:00:00",
                    False,
                )
            )
    return time.perf_counter() - start


def time_command(args: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100_000)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        build_s = build(root, opts.images)
        cli = [sys.executable, "-m", "videoseg_desktop.cli.main", "info", str(root)]
        result = {
            "images": opts.images,
            "build_project_s": round(build_s, 2),
            "info_text_s": round(time_command(cli), 3),
            "info_json_s": round(time_command([*cli, "--json"]), 3),
            "python_startup_s": round(time_command([sys.executable, "-c", "pass"]), 3),
        }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
