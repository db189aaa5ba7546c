"""Export and evaluation benchmark. Prints JSON.

1. COCO export of a synthetic project: N images (default 10,000, 640x480) with 5 masks each
   (RLE with holes and several parts), rows inserted directly (no image files: COCO needs only
   the media rows). The export runs in a child process so its peak memory is its own: the
   figures to watch are the peak RSS growth and the Python heap's peak (tracemalloc, in a
   second untimed run) against the size of the JSON written: an exporter that held every
   annotation would grow by a multiple of it.
2. DAVIS J&F evaluation of the four shared DAVIS 2016 sequences: ground truth against a
   drifting prediction (ground truth eroded by 3 px and shifted right by 0 px on the first frame
   growing to 20 px on the last, beyond the 8 px boundary tolerance at 854x480), so J, F and
   their decay all move; written as DAVIS palette PNGs; reading and computing timed apart.

Usage: python benchmarks/bench_export.py [--images N] [--masks-per-image K] [--skip-coco] [--skip-eval]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.store import MaskWrite, Project

DAVIS_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "davis2016"
W, H = 640, 480

CHILD = """
import json, resource, sys, time, tracemalloc
from pathlib import Path
from videoseg_desktop.export import export_coco
from videoseg_desktop.store import Project

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

project = Project.open(sys.argv[1], read_only=True)
before = rss_mb()
t0 = time.perf_counter()
summary = export_coco(project, out_dir=Path(sys.argv[2]))
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()  # a second, untimed run: the Python heap's own peak
export_coco(project, out_dir=Path(sys.argv[2] + "-traced"))
heap_peak = tracemalloc.get_traced_memory()[1] / 2**20
print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak,
                  "heap_peak_mb": heap_peak,
                  "images": summary.images, "masks": summary.masks,
                  "json_mb": (Path(sys.argv[2]) / "annotations.json").stat().st_size / 2**20}))
"""


def _mask_templates(n: int = 25) -> list[dict]:
    """Varied masks: ellipses with a hole, plus a detached blob."""
    rng = np.random.default_rng(0)
    out = []
    y, x = np.ogrid[:H, :W]
    for _ in range(n):
        cx, cy = rng.integers(80, W - 80), rng.integers(80, H - 80)
        rx, ry = rng.integers(20, 70), rng.integers(20, 70)
        m = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
        m &= ((x - cx) / (rx / 3)) ** 2 + ((y - cy) / (ry / 3)) ** 2 > 1  # a hole
        bx, by = rng.integers(10, W - 40), rng.integers(10, H - 40)
        m[by : by + 25, bx : bx + 30] = True  # another part
        out.append(encode_rle(m))
    return out


def build_synthetic_project(root: Path, n_images: int, per_image: int) -> dict:
    t0 = time.perf_counter()
    templates = _mask_templates()
    with Project.create(root) as project:
        labels = [project.labels.add(name).id for name in ("cat", "dog", "car", "person", "tree")]
        with project.transaction():
            media_ids = []
            for i in range(n_images):
                item = MediaItem(
                    0, MediaKind.IMAGE, f"media/img{i:05d}.jpg", f"img{i:05d}.jpg", 1000,
                    f"sha{i}", W, H, 1, None, None, "2025-01-01T00:00:00", False,
                )  # fmt: skip
                media_ids.append(project.media.insert(item).id)
            writes = []
            k = 0
            for media_id in media_ids:
                for j in range(per_image):
                    obj = project.objects.add(media_id, labels[j % len(labels)], name=f"o{j}")
                    writes.append(
                        MaskWrite(obj.id, 0, templates[k % len(templates)], MaskSource.CLICKED)
                    )
                    k += 1
            project.masks.put_many(writes)
        counts = project.objects.counts()
    return {"setup_seconds": round(time.perf_counter() - t0, 1), **counts}


def bench_coco(n_images: int, per_image: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        setup = build_synthetic_project(root, n_images, per_image)
        print(f"built synthetic project: {setup}", file=sys.stderr)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), str(Path(tmp) / "coco-out")],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        child = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "images": child["images"],
        "masks": child["masks"],
        "export_seconds": round(child["seconds"], 2),
        "annotations_per_second": round(child["masks"] / child["seconds"]),
        "json_mb": round(child["json_mb"], 1),
        "rss_before_export_mb": round(child["rss_before_mb"], 1),
        "peak_rss_mb": round(child["peak_rss_mb"], 1),
        "peak_rss_growth_mb": round(child["peak_rss_mb"] - child["rss_before_mb"], 1),
        "python_heap_peak_mb": round(child["heap_peak_mb"], 1),
        "setup": setup,
    }


def _write_drifting_davis(gt_root: Path, out: Path, radius: int, drift: int) -> None:
    from PIL import Image

    from videoseg_desktop.export.davis import write_index_png

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    for seq in sorted((gt_root / "Annotations/480p").iterdir()):
        target = out / "Annotations/480p" / seq.name
        target.mkdir(parents=True)
        pngs = sorted(seq.glob("*.png"))
        for i, png in enumerate(pngs):
            ids = cv2.erode((np.asarray(Image.open(png)) > 0).astype(np.uint8), kernel)
            shift = round(drift * i / max(len(pngs) - 1, 1))
            moved = np.zeros_like(ids)
            moved[:, shift:] = ids[:, : ids.shape[1] - shift]
            write_index_png(target / png.name, moved)


def bench_eval(radius: int = 3, drift: int = 20) -> dict:
    from videoseg_desktop.export import evaluate_sets, read_annotations

    if not (DAVIS_ROOT / "Annotations").is_dir():
        return {"skipped": f"no DAVIS data at {DAVIS_ROOT}"}
    with tempfile.TemporaryDirectory() as tmp:
        pred_root = Path(tmp) / "drifting"
        _write_drifting_davis(DAVIS_ROOT, pred_root, radius, drift)
        t0 = time.perf_counter()
        gt = read_annotations(DAVIS_ROOT, "davis")
        pred = read_annotations(pred_root, "davis")
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = evaluate_sets(pred, gt)
        t_eval = time.perf_counter() - t0
        t0 = time.perf_counter()
        identical = evaluate_sets(gt, gt)
        t_identical = time.perf_counter() - t0
    frames = sum(o.frames for o in report.objects)
    return {
        "perturbation": f"ground truth eroded by {radius} px, shifted right 0..{drift} px over the sequence",
        "sequences": report.videos,
        "frames": frames,
        "read_seconds": round(t_read, 2),
        "eval_seconds": round(t_eval, 2),
        "ms_per_frame": round(1000 * t_eval / frames, 2),
        "J&F": round(report.summary["J&F"], 4),
        "J_mean": round(report.summary["J"]["mean"], 4),
        "F_mean": round(report.summary["F"]["mean"], 4),
        "per_sequence": {
            o.video: {
                "J": round(o.J["mean"], 4),
                "F": round(o.F["mean"], 4),
                "J_decay": round(o.J["decay"], 4),
                "F_decay": round(o.F["decay"], 4),
            }
            for o in report.objects
        },
        "gt_vs_gt": {"J&F": identical.summary["J&F"], "eval_seconds": round(t_identical, 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--masks-per-image", type=int, default=5)
    parser.add_argument("--skip-coco", action="store_true")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    if not args.skip_coco:
        out["coco_export"] = bench_coco(args.images, args.masks_per_image)
    if not args.skip_eval:
        out["davis_eval"] = bench_eval()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
