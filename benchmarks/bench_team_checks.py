"""What checking a work package's rows costs the merge (``store/team_checks.py``).

A 100-frame 854x480 video with N objects, each with a mask on every frame; the package changes
every mask (``--every 1``) or every Nth, so the merge replaces every object's masks and checks
each one (types, enums; ``check_rle`` against the media's size for counts the project does not
already have for that object). "checks_s" decodes every mask (the upper bound). Prints JSON: the merge (best of N) and, in the same run, the
checks alone over the same rows, so their share of the merge is a ratio, not a guess.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from tests.helpers.video import moving_square_frames, write_video

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.database import connect
from videoseg_desktop.store.masks import MaskWrite
from videoseg_desktop.store.team_checks import mask_row
from videoseg_desktop.store.team_merge import _MASK_COLS, merge_package
from videoseg_desktop.store.team_split import split_project

FRAMES, H, W = 100, 480, 854


def _rle(x: int, frame: int):
    mask = np.zeros((H, W), bool)
    mask[100 + frame % 50 : 200 + frame % 50, x : x + 50] = True
    return encode_rle(mask)


def template(folder: Path, objects: int, every: int) -> Path:
    clip = write_video(moving_square_frames(FRAMES, W, H), folder / "clip.mp4")
    with Project.create(folder / "src", name="Bench", user="lead") as src:
        video = src.import_media([clip]).added[0]
        car = src.labels.add("car").id
        for i in range(objects):
            obj = src.objects.add(video.id, car)
            src.masks.put_many(
                [
                    MaskWrite(obj.id, f, _rle(i * 13 % 700, f), MaskSource.CLICKED)
                    for f in range(FRAMES)
                ]
            )
        package = split_project(src, folder / "out", ["alice"])[0].folder
    with Project.open(package, user="alice") as pkg:
        for obj in pkg.objects.list(1):
            pkg.masks.put_many(
                [
                    MaskWrite(obj.id, f, _rle(obj.id * 7 % 700, f), MaskSource.EDITED)
                    for f in range(0, FRAMES, every)
                ]
            )
    return package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--every", type=int, default=1, help="the package changes every Nth frame (1: all)"
    )
    args = parser.parse_args()
    merges, checks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "template"
        base.mkdir()
        package = template(base, args.objects, args.every)
        for r in range(args.repeat):
            case = Path(tmp) / f"case{r}"
            shutil.copytree(base, case)
            with Project.open(case / "src", user="lead") as src:
                start = time.perf_counter()
                report = merge_package(src, case / "out" / package.name)
                merges.append(time.perf_counter() - start)
                assert report.merged == args.objects, report.line()
            conn = connect(package / DB_NAME, read_only=True)
            rows = conn.execute(f"SELECT {_MASK_COLS} FROM masks").fetchall()
            conn.close()
            start = time.perf_counter()
            for row in rows:
                mask_row(row, H, W, FRAMES)
            checks.append(time.perf_counter() - start)
    best_merge, best_checks = min(merges), min(checks)
    print(
        json.dumps(
            {
                "masks": args.objects * FRAMES,
                "merge_s": round(best_merge, 3),
                "checks_s": round(best_checks, 3),
                "checks_share": round(best_checks / best_merge, 2),
                "us_per_mask_checked": round(best_checks / (args.objects * FRAMES) * 1e6, 1),
                "changed_every": args.every,
            }
        )
    )


if __name__ == "__main__":
    main()
