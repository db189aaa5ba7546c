"""A million masks: does everything an annotator touches stay quick? Prints JSON.

Builds generated projects through SQLite's bulk path (``executemany`` over generators: no
media files, one RLE shape per object; the timed paths read rows, not pixels):
- ``videos``: 10,000 videos x 2 objects x 50 frames = 1,000,000 masks;
- ``images``: 200,000 images x 5 objects = 1,000,000 masks;
plus 1% more media with no masks, three labels, a mix of workflow states and about 1% of
low-score masks, then computes the
review flags once (timed). Then per project:
- ``videoseg info`` (text and ``--json``) in a child process, wall time including start-up
  (target < 2 s);
- the window opened on the project in a child process (offscreen unless a display is set):
  launch to shown with the project open (target < 3 s), then, once the media file check is
  done, the media browser scrolled through in 40 jumps (ms per jump, repaint included) and its
  six filters switched in turn for five rounds, from the change to the view painted: first,
  p50 and max per filter, p50 and p95 over all (target < 200 ms), and the filter menu's
  counts re-read as after a mask change;
- the store's filters and the review queue (target < 200 ms);
- COCO (images) or YouTube-VIS (videos) export through ``videoseg export`` in a child
  process: wall time and the child's peak RSS, against the size of the file written.

Usage: python benchmarks/bench_million.py [--shape videos|images|both] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.store import Project
from videoseg_desktop.store.review_flags import recompute_all

W, H = 640, 360
STATUSES = ("todo", "in-progress", "done", "reviewed")
SHAPES = {"videos": (10_000, 2, 50), "images": (200_000, 5, 1)}  # media, objects, frames

WRAP = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True)
print(json.dumps({"s": time.perf_counter() - t0, "rc": done.returncode,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "err": done.stderr.decode()[-300:]}))
"""

WINDOW_CHILD = r"""
import json, os, statistics, sys, threading, time
t0 = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
def painted(view):
    app.processEvents()
    view.viewport().repaint()
    app.processEvents()
def report():
    window = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"][0]
    window.repaint()
    out = {"shown_s": time.time() - t0, "project_open": window.session is not None}
    dock = window.media_dock
    view, model = dock.view, dock.model
    # The media file check runs on a thread after opening: measure the browser once it is done
    # (and say how long it took), so the figures are the browser's, not the check's.
    began = time.perf_counter()
    while any(t.name == "media-check" for t in threading.enumerate()):
        app.processEvents()
        time.sleep(0.01)
    out["media_check_left_s"] = time.perf_counter() - began
    rows = model.rowCount()
    out["rows"] = rows
    jumps = []
    for i in range(40):
        began = time.perf_counter()
        view.scrollTo(model.index(int(rows * i / 40), 0))
        view.repaint()
        app.processEvents()
        jumps.append((time.perf_counter() - began) * 1000)
    out["scroll_jump_ms_p50"] = statistics.median(jumps)
    out["scroll_jump_ms_max"] = max(jumps)
    # Filter switches, from the change to the view painted: every filter in turn, five rounds.
    filters = [("all", {}), ("annotated", {}), ("unannotated", {}), ("flagged", {}),
               ("label", {"label_id": 2}), ("status_done", {"status": "done"})]
    times = {name: [] for name, _ in filters}
    for _ in range(int(os.environ.get("BENCH_ROUNDS", "5"))):
        for name, extra in filters:
            began = time.perf_counter()
            dock.set_filter("all" if name in ("label", "status_done") else name, **extra)
            painted(view)
            times[name].append((time.perf_counter() - began) * 1000)
            out[f"rows_{name}"] = model.rowCount()
    every = sorted(t for ts in times.values() for t in ts)
    out["gui_filter_ms"] = {name: {"first": ts[0], "p50": statistics.median(ts), "max": max(ts)}
                            for name, ts in times.items()}
    out["gui_filter_ms_p50"] = statistics.median(every)
    out["gui_filter_ms_p95"] = every[min(len(every) - 1, int(0.95 * len(every)))]
    # What the browser re-reads 150 ms after every mask change (the filter menu's counts).
    refreshes = []
    for _ in range(5):
        began = time.perf_counter()
        dock.refresh_counts()
        painted(view)
        refreshes.append((time.perf_counter() - began) * 1000)
    out["gui_counts_refresh_ms_p50"] = statistics.median(refreshes)
    print("BENCH " + json.dumps(out), flush=True)
    app.quit()
QTimer.singleShot(0, report)
from videoseg_desktop.app import main
main([sys.argv[1], "--new-instance"])
"""


def build(root: Path, media: int, objects: int, frames: int) -> Project:
    project = Project.create(root, user="bench")
    labels = [project.labels.add(n).id for n in ("car", "person", "bike")]
    rng = np.random.default_rng(0)
    kind = "video" if frames > 1 else "image"
    ext = "mp4" if frames > 1 else "jpg"
    shapes = []
    for k in range(8):  # a few mask shapes (with a hole), reused
        m = np.zeros((H, W), bool)
        m[60 + 10 * k : 200 + 10 * k, 100 + 20 * k : 260 + 20 * k] = True
        m[100:120, 150:170] = False
        shapes.append(encode_rle(m)["counts"])
    conn = project.db.conn
    with project.transaction():
        conn.executemany(
            "INSERT INTO media (id, kind, path, original_name, byte_size, sha256, width, height,"
            " frame_count, fps, duration, imported_at, annotated, status)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, 't', 1, ?)",
            (
                (m, kind, f"media/m{m}.{ext}", f"m{m}.{ext}", f"{m:064x}", W, H, frames,
                 30.0 if frames > 1 else None, frames / 30 if frames > 1 else None,
                 STATUSES[m % 4])
                for m in range(1, media + 1)
            ),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO objects (id, media_id, label_id, name, created_at, state, author)"
            " VALUES (?, ?, ?, ?, 't', 'normal', 'bench')",
            (
                (m * objects + o - objects + 1, m, labels[(m + o) % 3], f"o{o}")
                for m in range(1, media + 1)
                for o in range(objects)
            ),
        )
        low = rng.random(media * objects * frames) < 0.01

        def rows():
            i = 0
            for oid in range(1, media * objects + 1):
                counts = shapes[oid % 8]
                for f in range(frames):
                    score = 0.5 if low[i] else 0.95
                    i += 1
                    yield (oid, f, H, W, counts, 20000, 100.0, 60.0, 160.0, 140.0,
                           "propagated" if f else "clicked", "tiny", score, "bench", "t")  # fmt: skip

        conn.executemany(
            "INSERT INTO masks (object_id, frame, height, width, counts, area, bbox_x, bbox_y,"
            " bbox_w, bbox_h, source, model, score, author, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
        # And 1% more media with nothing yet (the "unannotated" filter has rows to find).
        extra = max(1, media // 100)
        conn.executemany(
            "INSERT INTO media (id, kind, path, original_name, byte_size, sha256, width, height,"
            " frame_count, fps, duration, imported_at, annotated, status)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, 't', 0, 'todo')",
            (
                (m, kind, f"media/m{m}.{ext}", f"m{m}.{ext}", f"{m:064x}", W, H, frames,
                 30.0 if frames > 1 else None, frames / 30 if frames > 1 else None)
                for m in range(media + 1, media + extra + 1)
            ),
        )  # fmt: skip
    return project


def tiny_video(path: Path, frames: int) -> Path:
    """One real 640x360 h264 clip (flat colour: quick to decode) that every exported video
    row points to through a hard link: YouTube-VIS writes each video's frames as JPEGs."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for i in range(frames):
            rgb = np.full((H, W, 3), (i * 5) % 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def link_videos(project: Project, count: int, frames: int) -> list[int]:
    """Give media 1..count a real file (hard links to one clip), recorded as imported."""
    clip = project.root / "clip.mp4"
    if not clip.exists():
        tiny_video(clip, frames)
    st = clip.stat()
    ids = list(range(1, count + 1))
    for m in ids:
        if not (project.media_dir / f"m{m}.mp4").exists():
            os.link(clip, project.media_dir / f"m{m}.mp4")
    with project.transaction() as conn:
        conn.executemany(
            "UPDATE media SET byte_size = ?, mtime_ns = ? WHERE id = ?",
            [(st.st_size, st.st_mtime_ns, m) for m in ids],
        )
    return ids


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 2)


def child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", WRAP, *args], capture_output=True, text=True, timeout=3600
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise RuntimeError(result["err"])
    return result


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "videoseg_desktop.cli.main", *args]


def window(root: Path) -> dict:
    env = {**os.environ, "BENCH_T0": repr(time.time())}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("VIDEOSEG_CONFIG_DIR", str(root.parent / "config"))
    out = subprocess.run(
        [sys.executable, "-c", WINDOW_CHILD, str(root)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    line = [x for x in out.stdout.splitlines() if x.startswith("BENCH ")]
    if not line:
        raise RuntimeError(out.stdout[-2000:] + out.stderr[-2000:])
    return _rounded(json.loads(line[0][6:]))


def _rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def run_shape(
    shape: str, scale: float, tmp: Path, ytvis: list[int], skip_export=False, keep=False
) -> dict:
    media, objects, frames = SHAPES[shape]
    media = max(10, int(media * scale))
    root = tmp / f"{shape}-{scale:g}" if keep else tmp / shape
    built = root / "bench-built"  # written last: a build cut short is rebuilt
    out: dict = {"shape": shape, "media": media, "objects_per_media": objects, "frames": frames}
    if keep and built.exists():
        project = Project.open(root)
        out["reused"] = str(root)
    else:
        if root.exists():
            shutil.rmtree(root)
        began = time.perf_counter()
        project = build(root, media, objects, frames)
        out["build_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        with project.db.transaction() as conn:
            out["flags"] = recompute_all(conn, project.review.thresholds())
        out["flags_recompute_s"] = round(time.perf_counter() - began, 1)
        if keep:
            built.write_text("built by benchmarks/bench_million.py\n")
    out["masks"] = project.objects.counts()["masks"]
    queue, repo = project.review, project.media
    middle = media // 2
    out["store_ms"] = {
        # Every row as a record (exports, scripts) against the ids the browser lists.
        "media_all_records": timed(lambda: repo.list("all"), 1),
        "media_ids_all": timed(lambda: repo.ids_where("all"), 3),
        "media_ids_annotated": timed(lambda: repo.ids_where("annotated"), 3),
        "media_ids_unannotated": timed(lambda: repo.ids_where("unannotated"), 3),
        "media_ids_flagged": timed(lambda: repo.ids_where("flagged"), 3),
        "media_ids_label": timed(lambda: repo.ids_where(label_id=2), 3),
        "media_ids_status_done": timed(lambda: repo.ids_where(status="done"), 3),
        "counts": timed(lambda: (repo.counts(), repo.status_counts(), repo.label_counts()), 3),
        "review_first_item": timed(lambda: queue.next_item()),
        "review_next_from_middle": timed(lambda: queue.next_item((middle, 0, 0))),
        "review_media_items": timed(lambda: queue.items(media_id=middle + 1)),
        "review_flag_counts": timed(queue.flag_counts, 3),
    }
    if shape == "videos":  # YouTube-VIS decodes every frame: real files for a subset
        exported = {n: link_videos(project, n, frames) for n in ytvis if n <= media}
    project.close()
    out["info_s"] = round(
        min(child(*cli("info", str(root), "--read-only"))["s"] for _ in range(3)), 2
    )
    out["info_json_s"] = round(
        min(child(*cli("info", str(root), "--json", "--read-only"))["s"] for _ in range(3)), 2
    )
    out["window"] = window(root)
    if skip_export:
        return out
    if shape == "images":
        out["export_coco"] = export(root, tmp / "coco", "coco", [])
    else:
        for n, ids in exported.items():
            media_arg = ["--media", ",".join(map(str, ids))]
            out[f"export_ytvis_{n}_videos"] = export(root, tmp / f"ytvis{n}", "ytvis", media_arg)
    return out


def export(root: Path, target: Path, fmt: str, extra: list[str]) -> dict:
    args = cli("export", str(root), "--format", fmt, "--out", str(target), *extra)
    result = child(*args)
    written = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    annotations = sum(p.stat().st_size for p in target.rglob("*.json"))
    return {
        "s": round(result["s"], 1),
        "peak_rss_mb": round(result["peak_mb"], 1),
        "json_mb": round(annotations / 2**20, 1),
        "written_mb": round(written / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", choices=("videos", "images", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the media to make")
    parser.add_argument(
        "--ytvis",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[100, 1000],
        help="YouTube-VIS exports of this many videos (each decoded and written as JPEGs)",
    )
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--tmp", type=Path, default=None, help="where to build (default: temp)")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="build into DIR/<shape>-<scale> and keep it; a later run reuses it (a build takes"
        " minutes). The project is measured as it is: a run that changed it is not undone",
    )
    opts = parser.parse_args()
    shapes = ("videos", "images") if opts.shape == "both" else (opts.shape,)
    results = []
    with contextlib.ExitStack() as stack:
        if opts.keep:
            opts.keep.mkdir(parents=True, exist_ok=True)
            tmp = str(opts.keep)
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(dir=opts.tmp))
        for shape in shapes:
            results.append(
                run_shape(
                    shape, opts.scale, Path(tmp), opts.ytvis, opts.skip_export, bool(opts.keep)
                )
            )
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"results": results, "loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
