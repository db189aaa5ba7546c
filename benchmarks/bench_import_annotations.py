"""Importing COCO annotations at scale: 200,000 annotations over 2,000 images, and many on one image.

Prints JSON, with wall time and this process's CPU time (on a machine shared with other work
the wall time grows with the load average, recorded too). Media rows are inserted through the repository (an annotation import reads no
pixels). Each annotation is a polygon of 12 vertices (COCO's own files are mostly polygons), so
the time includes pycocotools rasterising every one, the readers' checks and the database.

Reference, in the same run: imports of N and 2N annotations on one image with the naming of new
objects as it was before (every object of the image listed again for each new one), against
now: the growth for twice the annotations shows quadratic against linear, without the 18 hours
that 200,000 on one image would have taken.

    python benchmarks/bench_import_annotations.py [--images 2000] [--per-image 100]
        [--one-image 8000] [--reference 1000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.export import import_annotations, importers
from videoseg_desktop.store import MaskWrite, Project

W, H = 640, 480


def make_project(root: Path, n_images: int) -> Project:
    project = Project.create(root)
    with project.transaction():
        for i in range(n_images):
            project.media.insert(
                MediaItem(
                    0,
                    MediaKind.IMAGE,
                    f"media/img_{i:06d}.jpg",
                    f"img_{i:06d}.jpg",
                    1000,
                    f"{i:064x}",
                    W,
                    H,
                    1,
                    None,
                    None,
                    "2026-01-01T00:00:00",
                    False,
                )
            )
    return project


def polygon(k: int) -> list[float]:
    """A 12-vertex polygon of radius 6..24 px somewhere in the image (deterministic)."""
    cx, cy, r = 30 + (k * 37) % (W - 60), 30 + (k * 53) % (H - 60), 6 + k % 19
    pts = []
    for v in range(12):
        a = 2 * math.pi * v / 12
        pts += [round(cx + r * math.cos(a), 2), round(cy + r * math.sin(a), 2)]
    return pts


def write_coco(path: Path, n_images: int, per_image: int) -> int:
    images = [
        {"id": i + 1, "file_name": f"img_{i:06d}.jpg", "width": W, "height": H}
        for i in range(n_images)
    ]
    anns, k = [], 0
    for i in range(n_images):
        for _ in range(per_image):
            k += 1
            anns.append(
                {
                    "id": k,
                    "image_id": i + 1,
                    "category_id": 1 + k % 3,
                    "segmentation": [polygon(k)],
                    "iscrowd": 0,
                }
            )
    cats = [{"id": c, "name": n} for c, n in ((1, "person"), (2, "car"), (3, "dog"))]
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return k


def timed_import(root: Path, n_images: int, per_image: int) -> dict:
    run = Path(tempfile.mkdtemp(dir=root))
    coco = run / "annotations.json"
    n = write_coco(coco, n_images, per_image)
    project = make_project(run / "project", n_images)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        summary = import_annotations(project, "coco", coco)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert summary.objects == n and project.objects.counts()["objects"] == n
    finally:
        project.close()
    return {
        "images": n_images,
        "annotations": n,
        "file_mb": round(coco.stat().st_size / 2**20, 1),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # this process's CPU time: what neighbours cannot inflate
        "annotations_per_s": round(n / seconds),
    }


def _quadratic_next_name(project, media_id: int, label_id: int | None) -> str:
    """The naming before the fix: list every object of the image for each new one."""
    base = project.objects._base_name(label_id)
    taken = {o.name for o in project.objects.list(media_id)}
    n = 1
    while f"{base} {n}" in taken:
        n += 1
    return f"{base} {n}"


class _WriterBefore(importers._Writer):
    """The import's writer before the fix: one object and one mask write at a time."""

    def add_object(self, media, category, masks) -> None:
        label_id = self.label_id(category)
        name = _quadratic_next_name(self.project, media.id, label_id)
        obj = self.project.objects.add(media.id, label_id, name=name)
        self.project.masks.put_many(
            MaskWrite(obj.id, frame, rle, MaskSource.IMPORTED)
            for frame, rle in sorted(masks.items())
        )
        self.summary.objects += 1
        self.summary.masks += len(masks)


def reference_import(root: Path, n: int) -> dict[int, float]:
    """Imports of N and 2N annotations on one image, written as they were before."""
    original = importers._Writer
    importers._Writer = _WriterBefore
    try:
        return {c: timed_import(root, 1, c)["seconds"] for c in (n, 2 * n)}
    finally:
        importers._Writer = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--per-image", type=int, default=100)
    parser.add_argument("--one-image", type=int, default=8000)
    parser.add_argument("--reference", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bulk = timed_import(root, args.images, args.per_image)
        one = timed_import(root, 1, args.one_image)
        one_half = timed_import(root, 1, args.one_image // 2)
        n, n2 = args.reference, 2 * args.reference
        now = {c: timed_import(root, 1, c)["seconds"] for c in (n, n2)}
        before = reference_import(root, n)
    result = {
        "bulk": bulk,
        "bulk_under_60_s": bulk["seconds"] < 60,
        "one_image": one,
        "one_image_half": one_half,
        "one_image_growth_for_2x": round(one["seconds"] / one_half["seconds"], 2),
        "reference_one_image": {
            "annotations": [n, n2],
            "now_s": [now[n], now[n2]],
            "before_s": [before[n], before[n2]],
            "now_growth_for_2x": round(now[n2] / now[n], 2),
            "before_growth_for_2x": round(before[n2] / before[n], 2),
            "before_over_now_at_2n": round(before[n2] / now[n2], 1),
        },
        "python": sys.version.split()[0],
        "loadavg": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
