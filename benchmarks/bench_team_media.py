"""Merging a work package whose annotator imported media: the merge against a plain import of
the same files (the reference, same run, interleaved, best of N).

The merge checks each file's path and size, then imports it through the importer (hash, probe,
frame index, copy) and adds one object with a mask per file, in one transaction. Prints JSON.
Uses DAVIS frames from /work/shared/data when present, else generated JPEGs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import Project
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_split import split_project

DAVIS = Path("/work/shared/data/davis2016/JPEGImages/480p")


def inputs(folder: Path, n: int) -> list[Path]:
    found = sorted(DAVIS.glob("*/*.jpg"))[:n] if DAVIS.is_dir() else []
    out = []
    for i in range(n):
        path = folder / f"in_{i:04d}.jpg"
        if i < len(found):
            shutil.copy(found[i], path)
        else:
            rng = np.random.default_rng(i)
            Image.fromarray(rng.integers(0, 255, (480, 854, 3), np.uint8)).save(path)
        out.append(path)
    return out


def one_merge(work: Path, files: list[Path]) -> float:
    seed = work / "seed.png"
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(seed)
    with Project.create(work / "src", name="Bench", user="lead") as src:
        src.import_media([seed])
        folder = split_project(src, work / "out", ["alice"])[0].folder
        with Project.open(folder, user="alice") as pkg:
            for item in pkg.import_media(files).added:
                mask = np.zeros((item.height, item.width), bool)
                mask[10:200, 20:300] = True
                pkg.masks.put(pkg.objects.add(item.id).id, 0, encode_rle(mask), MaskSource.CLICKED)
        start = time.perf_counter()
        report = merge_package(src, folder)
        took = time.perf_counter() - start
        assert report.media_added == len(files), report.line()
    return took


def one_import(work: Path, files: list[Path]) -> float:
    with Project.create(work / "plain", name="Plain", user="lead") as project:
        start = time.perf_counter()
        assert len(project.import_media(files).added) == len(files)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    merges, imports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        files = inputs(Path(tmp), args.files)
        for r in range(args.repeat):
            for kind, fn, out in (("m", one_merge, merges), ("i", one_import, imports)):
                work = Path(tmp) / f"{kind}{r}"
                work.mkdir()
                out.append(fn(work, files))
                shutil.rmtree(work)
    best_m, best_i = min(merges), min(imports)
    print(
        json.dumps(
            {
                "files": args.files,
                "merge_s": round(best_m, 3),
                "import_s": round(best_i, 3),
                "merge_over_import": round(best_m / best_i, 2),
                "merge_ms_per_file": round(1000 * best_m / args.files, 1),
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
