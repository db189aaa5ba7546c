"""Batch tracking on a Ray cluster: throughput with 1 and 2 workers, and the driver's store rate.

Throughput: a project of ``--videos`` synthetic videos (moving shapes, 320x240, h264, one object
with a clicked mask each) is tracked with `videoseg track --all` three ways, each on a fresh
copy: in this process (no Ray), on a local Ray cluster with 1 worker and with 2 workers (one
randomly initialised tiny SAM 2.1 each, ``--image-size``, torch on one thread per worker, as
Ray gives a 1-CPU actor). The workers start and load their models on a warm-up task each
(``start_and_warm_up_s``, not stored); ``frames_per_s`` is the whole batch after that, tracking
and storing. On a 2-core machine 2 workers can at best double the rate.

Store rate: what limits N GPUs. The driver alone writes the project, so a cluster goes as fast
as the driver stores what the workers return. ``store`` feeds ``store_track_result`` (the
driver's code, batches of 32 frames per transaction, run record included) with ready-made
results (RLE masks of a moving disc at ``--store-size``), with no model, and reports masks/s
and the pickled size of a result per mask (what crosses the network).

Boxes (``--boxes N``, off by default): `videoseg boxes-to-masks` of N synthetic pictures
(640x480, ``BOXES_PER_IMAGE`` COCO boxes each) the same three ways, through the command's plan,
worker and store (cli/boxes_cluster.py); ``images_per_s`` after the warm-up.

    python benchmarks/bench_cluster.py [--videos 4] [--frames 12] [--image-size 256] [--boxes 8]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def make_project(folder: Path, videos: int, frames: int) -> Path:
    from tests.helpers.cluster import square
    from tests.helpers.video import moving_square_frames, write_video

    from videoseg_desktop.cli.main import main
    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.core.records import MaskSource
    from videoseg_desktop.store import Project

    clips = []
    for v in range(videos):
        clip = folder / f"clip{v}.mp4"
        write_video(moving_square_frames(frames + v), clip, gop=5)  # distinct files
        clips.append(str(clip))
    project = folder / "proj"
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            assert main(["new", str(project)]) == 0
            assert main(["import", str(project), *clips]) == 0
        finally:
            sys.stdout = stdout
    with Project.open(project, user="bench") as p:
        for item in p.media.list():
            obj = p.objects.add(item.id, None, name="square")
            p.masks.put(obj.id, 0, encode_rle(square(0)), MaskSource.CLICKED, "hand")
    return project


def make_executor(cluster: str | None, spec, workers: int):
    """Ray with ``workers`` workers at ``cluster`` ("local": a head started here), else in
    process."""
    if cluster:
        from videoseg_desktop.batch.ray_executor import RayExecutor

        return RayExecutor(cluster, spec, workers=workers, local_cpus=workers)
    from videoseg_desktop.batch.executor import LocalExecutor

    return LocalExecutor(spec)


def track(project: Path, checkpoint: Path, image_size: int, cluster: str | None, workers: int):
    """One `track --all` run through the batch code; returns its figures."""
    from videoseg_desktop.batch.executor import WorkerSpec
    from videoseg_desktop.batch.track_batch import plan_track_all, run_track_batch
    from videoseg_desktop.batch.track_work import ModelChoice, TrackWorker
    from videoseg_desktop.store import Project

    model_id = f"sam2.1_tiny@{image_size}"
    choice = ModelChoice("tiny", str(checkpoint), image_size, "cpu", "fp32")
    spec = WorkerSpec(TrackWorker, {"choice": choice})
    with Project.open(project, user="bench") as p:
        plan = plan_track_all(p, None, "forward", model_id)
        began = time.perf_counter()
        executor = make_executor(cluster, spec, workers)
        try:
            # Warm-up: every worker starts and loads its model on a task (not stored).
            for outcome in executor.run(plan.tasks[:workers]):
                assert outcome.error is None, outcome.error
            warm = time.perf_counter()
            totals = run_track_batch(p, plan, executor, model_id)
            done = time.perf_counter()
        finally:
            executor.close()
    assert not totals.errors, totals.errors
    return {
        "workers": workers,
        "ray": bool(cluster),
        "videos": totals.tracked,
        "frames": totals.frames,
        "masks_stored": totals.stored,
        "start_and_warm_up_s": round(warm - began, 2),
        "batch_s": round(done - warm, 2),
        "frames_per_s": round(totals.frames / (done - warm), 3),
        # CPU the workers got: on a machine busy with other jobs, wall-clock scaling is capped
        # by the spare cores, while frames per CPU-second shows what a worker costs.
        "worker_cpu_s": round(totals.worker_cpu_s, 2),
        "frames_per_worker_cpu_s": round(totals.frames / totals.worker_cpu_s, 3),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


BOXES_PER_IMAGE = 6


def make_box_project(folder: Path, images: int) -> tuple[Path, Path]:
    """``images`` pictures of coloured blocks and a COCO file with a box around each block."""
    from PIL import Image

    from videoseg_desktop.cli.main import main

    rng = np.random.default_rng(0)
    paths, entries, annotations = [], [], []
    for i in range(images):
        im = np.full((480, 640, 3), 30, np.uint8)
        for _ in range(BOXES_PER_IMAGE):
            x, y = int(rng.integers(0, 560)), int(rng.integers(0, 400))
            im[y : y + 70, x : x + 70] = rng.integers(80, 255, 3)
            annotations.append({"image_id": i + 1, "category_id": 1, "bbox": [x, y, 70, 70]})
        paths.append(folder / f"pic{i}.png")
        Image.fromarray(im).save(paths[-1])
        entries.append({"id": i + 1, "file_name": paths[-1].name})
    coco = folder / "boxes.json"
    categories = [{"id": 1, "name": "block"}]
    coco.write_text(
        json.dumps({"images": entries, "categories": categories, "annotations": annotations})
    )
    project = folder / "box_proj"
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            assert main(["new", str(project)]) == 0
            assert main(["import", str(project), *map(str, paths)]) == 0
        finally:
            sys.stdout = stdout
    return project, coco


def boxes(project: Path, coco: Path, checkpoint: Path, image_size: int, cluster, workers: int):
    """One `boxes-to-masks` run through the command's plan, worker and store."""
    from videoseg_desktop.batch.box_work import BoxWorker
    from videoseg_desktop.batch.executor import WorkerSpec, in_order
    from videoseg_desktop.batch.track_work import ModelChoice
    from videoseg_desktop.cli.boxes_cluster import plan_tasks, store
    from videoseg_desktop.cli.boxes_commands import Summary
    from videoseg_desktop.export.box_matching import match_boxes
    from videoseg_desktop.export.box_readers import read_boxes
    from videoseg_desktop.store import Project
    from videoseg_desktop.store.box_prelabel import plan_box_jobs

    choice = ModelChoice("tiny", str(checkpoint), image_size, "cpu", "fp32")
    spec = WorkerSpec(BoxWorker, {"choice": choice})
    summary = Summary()
    with Project.open(project, user="bench") as p:
        found = read_boxes(coco, "coco")
        plan = match_boxes(p.media.list(), found, None)
        model_id = f"sam2.1_tiny@{image_size}"
        jobs = plan_box_jobs(p, plan.images, plan.videos, found.digest, None, model_id)
        tasks, by_key = plan_tasks(p, jobs, 10)
        began = time.perf_counter()
        executor = make_executor(cluster, spec, workers)
        try:
            for outcome in executor.run(tasks[:workers]):  # warm-up, not stored
                assert outcome.error is None, outcome.error
            warm = time.perf_counter()
            for outcome in in_order(executor.run(tasks)):
                assert outcome.error is None, outcome.error
                store(p, by_key[outcome.task.key], outcome.result, False, summary)
            done = time.perf_counter()
        finally:
            executor.close()
    return {
        "workers": workers,
        "ray": bool(cluster),
        "images": summary.images,
        "masks_stored": summary.masks,
        "start_and_warm_up_s": round(warm - began, 2),
        "batch_s": round(done - warm, 2),
        "images_per_s": round(summary.images / (done - warm), 3),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def store_rate(folder: Path, frames: int, objects: int, size: tuple[int, int]) -> dict:
    """The driver's storing alone: ready-made results through store_track_result."""
    from tests.helpers.video import write_video

    from videoseg_desktop.batch.executor import MediaRef, Task
    from videoseg_desktop.batch.track_batch import store_track_result
    from videoseg_desktop.batch.track_work import TrackedFrame, TrackPayload, TrackResult
    from videoseg_desktop.cli.main import main
    from videoseg_desktop.core.masks import encode_rle
    from videoseg_desktop.store import Project
    from videoseg_desktop.store.tracking_inputs import Conditioning

    h, w = size
    clip = write_video([np.zeros((h, w, 3), np.uint8)] * 2, folder / "store.mp4")
    project = folder / "store_proj"
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            assert main(["new", str(project)]) == 0
            assert main(["import", str(project), str(clip)]) == 0
        finally:
            sys.stdout = stdout
    y, x = np.mgrid[0:h, 0:w]
    tracked = []
    for f in range(frames):
        rles = {}
        for o in range(objects):
            cx = (w * (o + 1)) // (objects + 1) + int(20 * np.sin(f / 7))
            cy = h // 2 + int(h / 5 * np.cos(f / 11 + o))
            rles[o + 1] = encode_rle((x - cx) ** 2 + (y - cy) ** 2 < (min(h, w) // 8) ** 2)
        tracked.append(TrackedFrame(f, rles, {o + 1: 2.0 for o in range(objects)}))
    result = TrackResult(tracked, frames)
    payload_bytes = len(pickle.dumps(result, protocol=5))
    with Project.open(project, user="bench") as p:
        ids = [p.objects.add(1, None).id for _ in range(objects)]
        assert ids == list(range(1, objects + 1))
        cond = tuple((i, (Conditioning(0, points=()),)) for i in ids)
        task = Task(0, MediaRef(1, "", None, 0), TrackPayload(cond, ((0, tuple(ids)),), "forward"))
        began = time.perf_counter()
        writer = store_track_result(p, task, result, "bench@0", "x")
        elapsed = time.perf_counter() - began
    masks = writer.stored
    return {
        "masks": masks,
        "mask_size": f"{w}x{h}",
        "objects_per_frame": objects,
        "seconds": round(elapsed, 3),
        "masks_per_s": round(masks / elapsed, 1),
        "result_bytes_per_mask": round(payload_bytes / masks),
        "db_bytes_per_mask": round(
            sum(f.stat().st_size for f in project.glob("project.vseg*")) / masks
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--store-frames", type=int, default=500)
    parser.add_argument("--store-objects", type=int, default=4)
    parser.add_argument("--store-size", default="854x480", help="WxH of the stored masks")
    parser.add_argument("--skip-ray", action="store_true", help="only the store rate")
    parser.add_argument("--boxes", type=int, default=0, metavar="N", help="boxes-to-masks too")
    args = parser.parse_args()

    import torch

    from videoseg_desktop.inference.checkpoint import save_random_checkpoint

    torch.set_num_threads(1)  # as each 1-CPU Ray worker runs it
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    report: dict = {
        "cpu_count": os.cpu_count(),
        "load_average_before": round(os.getloadavg()[0], 2),
        "image_size": args.image_size,
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        w, h = (int(v) for v in args.store_size.split("x"))
        report["store"] = store_rate(tmp, args.store_frames, args.store_objects, (h, w))
        if not args.skip_ray:
            checkpoint = save_random_checkpoint(tmp / "tiny.pt")
            base = make_project(tmp, args.videos, args.frames)
            runs = []
            for cluster, workers in ((None, 1), ("local", 1), ("local", 2)):
                copy = tmp / f"run{len(runs)}"
                shutil.copytree(base, copy)
                runs.append(track(copy, checkpoint, args.image_size, cluster, workers))
            report["track_all"] = runs
            one, two = runs[1]["frames_per_s"], runs[2]["frames_per_s"]
            report["speedup_2_workers"] = round(two / one, 2)
            report["ray_vs_in_process_1_worker"] = round(one / runs[0]["frames_per_s"], 2)
            # One object per video: a frame is a mask. How many workers this fast one driver
            # can keep up with.
            report["workers_one_driver_can_feed_at_this_rate"] = int(
                report["store"]["masks_per_s"] / one
            )
        if args.boxes > 0 and not args.skip_ray:
            project, coco = make_box_project(tmp, args.boxes)
            checkpoint = tmp / "tiny.pt"
            if not checkpoint.exists():
                save_random_checkpoint(checkpoint)
            runs = []
            for cluster, workers in ((None, 1), ("local", 1), ("local", 2)):
                copy = tmp / f"boxes{len(runs)}"
                shutil.copytree(project, copy)
                runs.append(boxes(copy, coco, checkpoint, args.image_size, cluster, workers))
            report["boxes_to_masks"] = runs
            one = runs[1]["images_per_s"]
            report["boxes_speedup_2_workers"] = round(runs[2]["images_per_s"] / one, 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
