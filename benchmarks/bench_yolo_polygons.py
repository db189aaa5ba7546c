"""YOLO-seg polygons drawn back by the consumer's rasteriser, before and after joining.

For every mask: write its YOLO-seg label line(s) as the exporter does, read them back as
Ultralytics does (normalised coordinates times the image size, then ``polygon2mask``:
``cv2.fillPoly`` on int32 vertices), and compare with the stored mask.

- before: the former export, one line per connected part, holes filled, coordinates rounded to
  6 decimals (one training instance per part).
- before, with the truncation guard: the same, with today's coordinate writer (+0.01 px), to
  tell what the joining itself changes from what the guard changes.
- Ultralytics' own convert_coco on the same mask (outer contours, parts merged by its
  merge_multi_segment, holes dropped), when Ultralytics is installed.
- after: one line per object, parts and holes joined by zero-width bridges
  (``export.polygon_join``), plus our importer's read-back of that line.

Masks: every ground-truth frame of the DAVIS sequences in /work/shared/data (or --davis), and
synthetic masks with several parts, holes and islands in holes.

    python benchmarks/bench_yolo_polygons.py [--davis PATH] [--synthetic 200]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from videoseg_desktop.export.polygon_join import joined_polygon_to_mask, mask_to_joined_polygon
from videoseg_desktop.export.polygons import mask_to_polygons
from videoseg_desktop.export.yolo import polygon_line

DEFAULT_DAVIS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "davis2016"


def consumer_rasteriser():
    """Ultralytics' own polygon2mask when installed, else the same three lines of OpenCV."""
    try:
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault(  # its settings file, kept out of the home folder
            "YOLO_CONFIG_DIR", os.path.join(tempfile.gettempdir(), "videoseg-bench-ultralytics")
        )
        from ultralytics.data.utils import polygon2mask

        return "ultralytics.data.utils.polygon2mask", polygon2mask
    except ImportError:

        def polygon2mask(imgsz, polygons, color=1, downsample_ratio=1):
            mask = np.zeros(imgsz, dtype=np.uint8)
            pts = np.asarray(polygons, dtype=np.int32).reshape(len(polygons), -1, 2)
            cv2.fillPoly(mask, pts, color=color)
            return mask

        return "cv2.fillPoly on int32 vertices (polygon2mask's code)", polygon2mask


def read_line(line: str, w: int, h: int) -> np.ndarray:
    values = np.array([float(v) for v in line.split()[1:]]).reshape(-1, 2)
    return (values * [w, h]).reshape(-1)


def former_lines(mask: np.ndarray) -> list[str]:
    """The export before joining: a line per part, no truncation guard."""
    h, w = mask.shape
    polygons, _ = mask_to_polygons(mask)
    lines = []
    for poly in polygons:
        coords = [
            f"{min(max(v / (w if n % 2 == 0 else h), 0.0), 1.0):.6f}" for n, v in enumerate(poly)
        ]
        lines.append("0 " + " ".join(coords))
    return lines


def guarded_parts_lines(mask: np.ndarray) -> list[str]:
    """A line per part with today's coordinate writer: isolates what joining itself changes."""
    h, w = mask.shape
    return [polygon_line(0, poly, w, h) for poly in mask_to_polygons(mask)[0]]


def converter_polygon(mask: np.ndarray):
    """What Ultralytics' convert_coco makes of an RLE mask: outer contours (holes dropped), parts
    merged by its merge_multi_segment. None when Ultralytics is not installed."""
    try:
        from ultralytics.data.converter import merge_multi_segment
    except ImportError:
        return None
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    )
    segments = [c.reshape(-1).tolist() for c in contours if len(c) >= 3]
    if len(segments) > 1:
        return np.concatenate(merge_multi_segment(segments), axis=0).reshape(-1)
    return np.asarray(segments[0], float) if segments else None


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def davis_masks(root: Path):
    for png in sorted((root / "Annotations" / "480p").glob("*/*.png")):
        ids = np.asarray(Image.open(png))
        for value in np.unique(ids):
            if value:
                yield f"{png.parent.name}/{png.stem}", ids == value


def synthetic_masks(count: int, h: int = 480, w: int = 854, seed: int = 0):
    """Several lumpy parts, holes cut into them and islands left inside some holes."""
    rng = np.random.default_rng(seed)
    for n in range(count):
        m = np.zeros((h, w), np.uint8)
        for _ in range(rng.integers(2, 6)):  # parts
            cx, cy = int(rng.integers(60, w - 60)), int(rng.integers(60, h - 60))
            for _ in range(3):
                axes = (int(rng.integers(15, 70)), int(rng.integers(15, 70)))
                centre = (cx + int(rng.integers(-30, 30)), cy + int(rng.integers(-30, 30)))
                cv2.ellipse(m, centre, axes, float(rng.integers(0, 180)), 0, 360, 1, -1)
            for _ in range(rng.integers(0, 3)):  # holes, some with an island
                r = int(rng.integers(5, 18))
                centre = (cx + int(rng.integers(-15, 15)), cy + int(rng.integers(-15, 15)))
                cv2.circle(m, centre, r, 0, -1)
                if r > 10 and rng.random() < 0.5:
                    cv2.circle(m, centre, r // 3, 1, -1)
        yield f"synthetic/{n:04d}", m.astype(bool)


def _stats(values: list[float]):
    if not values:
        return "skipped: Ultralytics not installed"
    return {"mean": float(np.mean(values)), "min": float(np.min(values))}


def measure(masks, rasterise) -> dict:
    before, after, back, parts_guarded, converter = [], [], [], [], []
    inst_before = inst_after = objects = holes = 0
    lost_after = extra_after = 0
    join_seconds = former_seconds = 0.0
    worst = (1.0, "")
    for name, mask in masks:
        h, w = mask.shape
        objects += 1
        t0 = time.perf_counter()
        lines = former_lines(mask)
        former_seconds += time.perf_counter() - t0
        inst_before += len(lines)
        drawn = np.zeros((h, w), bool)
        for line in lines:
            drawn |= rasterise((h, w), [read_line(line, w, h)]) > 0
        before.append(iou(drawn, mask))
        drawn = np.zeros((h, w), bool)
        for line in guarded_parts_lines(mask):
            drawn |= rasterise((h, w), [read_line(line, w, h)]) > 0
        parts_guarded.append(iou(drawn, mask))
        theirs = converter_polygon(mask)
        if theirs is not None:
            converter.append(iou(rasterise((h, w), [theirs]) > 0, mask))
        t0 = time.perf_counter()
        polygon, has_holes = mask_to_joined_polygon(mask)
        join_seconds += time.perf_counter() - t0
        holes += has_holes
        line = polygon_line(0, polygon, w, h)
        inst_after += 1
        pixels = read_line(line, w, h)
        drawn = rasterise((h, w), [pixels]) > 0
        after.append(iou(drawn, mask))
        lost_after += int((mask & ~drawn).sum())
        extra_after += int((drawn & ~mask).sum())
        if after[-1] < worst[0]:
            worst = (after[-1], name)
        back.append(iou(joined_polygon_to_mask(pixels.tolist(), h, w), mask))
    return {
        "masks": objects,
        "masks_with_holes": holes,
        "instances_before": inst_before,
        "instances_after": inst_after,
        "iou_before": {"mean": float(np.mean(before)), "min": float(np.min(before))},
        "iou_before_with_truncation_guard": _stats(parts_guarded),
        "iou_ultralytics_convert_coco": _stats(converter),
        "iou_after": {"mean": float(np.mean(after)), "min": float(np.min(after))},
        "worst_after": {"iou": worst[0], "mask": worst[1]},
        "pixels_lost_after": lost_after,
        "pixels_added_after_bridges": extra_after,
        "importer_read_back_iou": {"mean": float(np.mean(back)), "min": float(np.min(back))},
        "join_ms_per_mask": 1000 * join_seconds / max(objects, 1),
        "former_ms_per_mask": 1000 * former_seconds / max(objects, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=DEFAULT_DAVIS)
    parser.add_argument("--synthetic", type=int, default=200)
    args = parser.parse_args()
    name, rasterise = consumer_rasteriser()
    result = {"rasteriser": name, "loadavg_start": os.getloadavg()}
    if (args.davis / "Annotations").is_dir():
        result["davis"] = measure(davis_masks(args.davis.resolve()), rasterise)
    else:
        result["davis"] = f"skipped: no DAVIS data at {args.davis}"
    result["synthetic_parts_and_holes"] = measure(synthetic_masks(args.synthetic), rasterise)
    result["loadavg_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
