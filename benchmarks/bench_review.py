"""The review queue on a big project (default 1,000,000 masks): is it an indexed read?

Builds a project of videos x objects x frames with raw SQL (one RLE shared by every row; the
review reads areas, boxes and scores, never pixels): a tenth of the objects are suggested
pre-labels (flagged on every frame) and every track has a few jumps (drift flags). Then:
- ``recompute_s``: every flag from scratch (once per project, or after a threshold change);
- queue reads: first item, next item from the middle, a big video's items, per-media counts,
  the media browser's "flagged" filter, the whole queue, ``videoseg stats``;
- write upkeep: storing a batch of 32 tracked frames into a 1000-frame track with the flags
  refreshed, against the same batch with the refresh switched off (the reference), in one run.

Prints JSON (with the load average: this machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, MediaItem, MediaKind
from videoseg_desktop.store import MaskWrite, Project
from videoseg_desktop.store import masks as masks_module
from videoseg_desktop.store.review_flags import recompute_all
from videoseg_desktop.store.statistics import project_stats

W, H = 640, 360


def build(root: Path, videos: int, objects: int, frames: int) -> Project:
    project = Project.create(root, user="bench")
    mask = np.zeros((H, W), bool)
    mask[100:160, 200:280] = True
    counts = encode_rle(mask)["counts"]
    rng = np.random.default_rng(0)
    label = project.labels.add("thing")
    conn = project.db.conn
    with project.transaction():
        for v in range(videos):
            item = project.media.insert(
                MediaItem(0, MediaKind.VIDEO, f"media/v{v}.mp4", f"v{v}.mp4", 1, f"{v:064x}",
                          W, H, frames, 30.0, frames / 30, "t", False)
            )  # fmt: skip
            for o in range(objects):
                state = "suggested" if (v * objects + o) % 10 == 0 else "normal"
                cur = conn.execute(
                    "INSERT INTO objects (media_id, label_id, name, created_at, state, author)"
                    " VALUES (?, ?, ?, 't', ?, 'bench')",
                    (item.id, label.id, f"o{o}", state),
                )
                oid = cur.lastrowid
                source = "auto" if state == "suggested" else "propagated"
                jumps = set(rng.integers(1, frames, 3).tolist())
                rows = []
                x = 200.0
                for f in range(frames):
                    x += 60.0 if f in jumps else 0.5
                    score = 0.97 - (0.4 if f in jumps else 0.0)
                    rows.append(
                        (oid, f, H, W, counts, 4800, x % (W - 80), 100.0, 80.0, 60.0, source,
                         "tiny", score, "bench", "t")
                    )  # fmt: skip
                conn.executemany(
                    "INSERT INTO masks (object_id, frame, height, width, counts, area, bbox_x,"
                    " bbox_y, bbox_w, bbox_h, source, model, score, author, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        conn.execute("UPDATE media SET annotated = 1, status = 'in-progress'")
    return project


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def write_batch(project: Project, object_id: int, start: int, refresh: bool) -> float:
    mask = np.zeros((H, W), bool)
    mask[100:160, 200:280] = True
    rle = encode_rle(mask)
    writes = [
        MaskWrite(object_id, f, rle, MaskSource.PROPAGATED, "tiny", 0.95)
        for f in range(start, start + 32)
    ]
    original = masks_module.refresh_flags
    if not refresh:
        masks_module.refresh_flags = lambda *a, **k: None
    try:
        began = time.perf_counter()
        project.masks.put_many(writes)
        return time.perf_counter() - began
    finally:
        masks_module.refresh_flags = original


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--objects", type=int, default=5)
    parser.add_argument("--frames", type=int, default=1000)
    opts = parser.parse_args()
    out: dict = {"masks": opts.videos * opts.objects * opts.frames}
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        project = build(Path(tmp) / "big", opts.videos, opts.objects, opts.frames)
        out["build_s"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        with project.db.transaction() as conn:
            out["flags"] = recompute_all(conn, project.review.thresholds())
        out["recompute_s"] = round(time.perf_counter() - began, 2)
        queue = project.review
        middle = (opts.videos // 2, 0, 0)
        big_video = opts.videos // 2
        for name, fn in [
            ("first_item_ms", lambda: queue.next_item()),
            ("next_item_from_middle_ms", lambda: queue.next_item(middle)),
            ("video_items_ms", lambda: queue.items(media_id=big_video)),
            ("flag_counts_ms", queue.flag_counts),
            ("media_filter_flagged_ms", lambda: project.media.list("flagged")),
            ("object_flags_ms", lambda: queue.object_flags(1)),
        ]:
            seconds, _ = timed(fn)
            out[name] = round(seconds * 1000, 2)
        seconds, items = timed(lambda: queue.items(), repeat=1)
        out["whole_queue_s"], out["queue_items"] = round(seconds, 2), len(items)
        seconds, _ = timed(lambda: project_stats(project), repeat=1)
        out["stats_s"] = round(seconds, 2)
        # Write upkeep: alternate with and without the refresh on fresh frame ranges.
        oid = project.objects.list(big_video)[1].id
        with_refresh, without = [], []
        for n in range(6):
            start = 100 + 64 * n
            with_refresh.append(write_batch(project, oid, start, True))
            without.append(write_batch(project, oid, start + 32, False))
        out["batch32_with_flags_ms"] = round(statistics.median(with_refresh) * 1000, 2)
        out["batch32_reference_ms"] = round(statistics.median(without) * 1000, 2)
        out["batch32_ratio"] = round(
            statistics.median(with_refresh) / statistics.median(without), 3
        )
        seconds, _ = timed(lambda: queue.accept(big_video, oid, (0, 999)), repeat=1)
        out["accept_1000_frames_ms"] = round(seconds * 1000, 1)
        project.close()
    out["loadavg"] = os.getloadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
