"""Batch runs on a local Ray cluster of 2 worker processes: the same masks and ids as a local
run (track --all, autolabel, boxes-to-masks), a killed worker's task retried elsewhere with
nothing stored twice, media shipped, per-frame progress before each result."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.cluster import (
    CrashingTrackWorker,
    NoSharedFolderTrackWorker,
    check_progress,
    record_progress,
    stored_masks,
    two_video_project,
)
from tests.helpers.tracking import one_torch_thread
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.records import MaskSource

ray = pytest.importorskip("ray")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()  # Ray's workers run torch on one thread too (num_cpus=1)


@pytest.fixture(scope="module")
def cluster():
    """A local head with 2 CPUs: 2 worker processes; they import this checkout (and tests/)."""
    env = {"PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]), "HF_HUB_OFFLINE": "1"}
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="error",
        log_to_driver=False,
        runtime_env={"env_vars": env},
    )
    yield
    ray.shutdown()


def track_all(project: Path, checkpoint: Path, *extra: str) -> int:
    model = ["--checkpoint", str(checkpoint), "--image-size", "256", "--device", "cpu"]
    return main(["track", str(project), "--all", *model, "--json", "--user", "batch", *extra])


def test_cluster_run_stores_what_a_local_run_stores(tmp_path, random_checkpoint, cluster, capsys):
    project = two_video_project(tmp_path)
    on_cluster, shipped = tmp_path / "on_cluster", tmp_path / "shipped"
    shutil.copytree(project, on_cluster)
    shutil.copytree(project, shipped)
    capsys.readouterr()

    assert track_all(project, random_checkpoint) == 0
    local = json.loads(capsys.readouterr().out)
    assert track_all(on_cluster, random_checkpoint, "--cluster", "local", "--workers", "2") == 0
    remote = json.loads(capsys.readouterr().out)
    assert remote["workers"] == 2 and remote["cluster"] == "local" and remote["errors"] == []
    for key in ("tracked", "frames", "stored", "removed", "kept"):
        assert remote[key] == local[key], key
    expected = stored_masks(project)
    assert any(v[0] == MaskSource.PROPAGATED for v in expected.values())
    assert stored_masks(on_cluster) == expected  # same masks, same object ids, same scores

    # Workers that cannot (or are told not to) read the driver's files get them shipped.
    assert track_all(shipped, random_checkpoint, "--cluster", "local", "--ship-media") == 0
    assert json.loads(capsys.readouterr().out)["shipped"] == 2
    assert stored_masks(shipped) == expected

    # Resume on the cluster: nothing left to do, nothing stored again.
    assert track_all(on_cluster, random_checkpoint, "--cluster", "local") == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["videos"], again["done_before"]) == (0, 2)
    assert stored_masks(on_cluster) == expected


def _run_with(project: Path, worker: type, **kwargs):
    """The batch through a RayExecutor with a test worker class; (totals, stats, run records)."""
    from videoseg_desktop.batch.executor import WorkerSpec
    from videoseg_desktop.batch.ray_executor import RayExecutor
    from videoseg_desktop.batch.track_batch import plan_track_all, run_track_batch
    from videoseg_desktop.batch.track_work import ModelChoice
    from videoseg_desktop.store import Project

    choice = ModelChoice("tiny", kwargs.pop("checkpoint"), 256, "cpu", "fp32")
    spec = WorkerSpec(worker, {"choice": choice, **kwargs})
    model_id = "sam2.1_tiny@256"
    with Project.open(project, user="batch") as p:
        plan = plan_track_all(p, None, "both", model_id)
        executor = RayExecutor("local", spec, workers=2)
        try:
            totals = run_track_batch(p, plan, executor, model_id)
        finally:
            executor.close()
        return totals, executor.stats, p.batch_runs.list("track")


def test_a_killed_worker_s_task_is_retried_and_stored_once(tmp_path, random_checkpoint, cluster):
    project = two_video_project(tmp_path)
    twin = tmp_path / "twin"
    shutil.copytree(project, twin)
    assert track_all(twin, random_checkpoint) == 0  # the reference: a local run

    marker = tmp_path / "first-worker-died"
    totals, stats, runs = _run_with(
        project, CrashingTrackWorker, checkpoint=str(random_checkpoint), marker=str(marker)
    )
    assert marker.exists() and stats.retried == 1
    assert len(stats.lost_workers) == 1
    assert totals.errors == [] and totals.tracked == 2
    stored = stored_masks(project)
    assert stored == stored_masks(twin)
    propagated = sum(1 for v in stored.values() if v[0] == MaskSource.PROPAGATED)
    assert totals.stored == propagated == sum(r.stored for r in runs)
    assert sorted(r.media_id for r in runs) == [1, 2]


def test_workers_that_cannot_read_the_media_get_it_shipped(tmp_path, random_checkpoint, cluster):
    project = two_video_project(tmp_path, frames=5)
    twin = tmp_path / "twin"
    shutil.copytree(project, twin)
    assert track_all(twin, random_checkpoint) == 0
    totals, stats, _ = _run_with(
        project, NoSharedFolderTrackWorker, checkpoint=str(random_checkpoint)
    )
    assert totals.errors == [] and stats.shipped == 2 and stats.retried == 0
    assert stored_masks(project) == stored_masks(twin)


def _shapes(t: int):
    import numpy as np

    im = np.full((90, 120, 3), 40, np.uint8)
    im[20 + t : 50 + t, 10 + 2 * t : 40 + 2 * t] = (220, 60, 60)
    im[50:80, 80 - t : 110 - t] = (60, 200, 90)
    return im


def _objects(folder: Path) -> list[tuple]:
    from videoseg_desktop.store import Project

    with Project.open(folder, read_only=True) as p:
        return [
            (o.id, o.media_id, o.name, o.label_id, o.state)
            for m in p.media.list()
            for o in p.objects.list(m.id)
        ]


def test_autolabel_on_the_cluster_makes_the_local_run_s_objects(
    tmp_path, sam3_models_dir, cluster, capsys
):
    """Images, a video tracked by text and a video frame with an example box: the same
    objects (ids, labels, states) and masks as a local run, stored in the local run's order."""
    from PIL import Image

    from tests.helpers.video import write_video

    paths = []
    for i in range(3):
        paths.append(tmp_path / f"img{i}.png")
        Image.fromarray(_shapes(3 * i)).save(paths[-1])
    paths.append(write_video([_shapes(t) for t in range(6)], tmp_path / "clip.mp4"))
    project = tmp_path / "proj"
    assert main(["new", str(project)]) == 0
    assert main(["import", str(project), *map(str, paths)]) == 0
    twin = tmp_path / "twin"
    shutil.copytree(project, twin)
    capsys.readouterr()

    def autolabel(folder: Path, *extra: str) -> dict:
        args = ["autolabel", str(folder), "--model", "tiny3", "--threshold", "0.25"]
        args += ["--device", "cpu", "--concept", "red car=car", "--concept", "=block"]
        args += ["--exemplar", "4:2:10,20,40,50", "--json", *extra]
        assert main(args) == 0
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    local = autolabel(project)
    remote = autolabel(twin, "--cluster", "local", "--workers", "2")
    assert remote["cluster"] == {"address": "local", "workers": 2, "retried": 0, "shipped": 0}
    for key in ("runs", "images", "videos", "objects", "masks", "skipped_overlapping"):
        assert remote[key] == local[key], key
    assert local["objects"] > 0 and local["videos"] == 1
    assert _objects(twin) == _objects(project)
    assert stored_masks(twin) == stored_masks(project)
    # Resumes like a local run: every run is done.
    assert autolabel(twin, "--cluster", "local")["state"] == "nothing to do"


def test_asking_for_gpus_the_cluster_lacks_is_one_line(tmp_path, cluster, capsys):
    project = two_video_project(tmp_path, frames=5)
    capsys.readouterr()
    args = ["track", str(project), "--all", "--cluster", "local", "--gpus-per-worker", "1"]
    assert main([*args, "--image-size", "256"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has 0 GPUs, a worker needs 1" in err


def test_boxes_to_masks_on_the_cluster_makes_the_local_run_s_objects(
    tmp_path, random_checkpoint, cluster, capsys
):
    """COCO boxes on two images, then MOT tracks in a video: the same objects (ids, labels,
    states) and masks as a local run."""
    from PIL import Image

    from tests.helpers.video import moving_square_frames, write_video

    paths = []
    for i in range(2):
        paths.append(tmp_path / f"img{i}.png")
        Image.fromarray(_shapes(3 * i)).save(paths[-1])
    paths.append(write_video(moving_square_frames(8), tmp_path / "clip.mp4", gop=4))
    project = tmp_path / "proj"
    assert main(["new", str(project)]) == 0
    assert main(["import", str(project), *map(str, paths)]) == 0
    twin = tmp_path / "twin"
    shutil.copytree(project, twin)
    coco = tmp_path / "dets.json"
    coco.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "img0.png"}, {"id": 2, "file_name": "img1.png"}],
                "categories": [{"id": 1, "name": "red"}, {"id": 2, "name": "green"}],
                "annotations": [
                    {"image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 30], "score": 0.9},
                    {"image_id": 1, "category_id": 2, "bbox": [80, 50, 30, 30]},
                    {"image_id": 2, "category_id": 1, "bbox": [16, 29, 30, 30]},
                ],
            }
        )
    )
    mot = tmp_path / "clip.txt"  # track 1: the square on frames 1-6; track 2: frames 2-4
    rows = [f"{f + 1},1,{10 + 7 * f},60,50,50,0.9,1" for f in range(1, 7)]
    mot.write_text("\n".join([*rows, "3,2,200,150,40,40,-1,2", "5,2,205,150,40,40,-1,2"]) + "\n")
    (tmp_path / "classes.txt").write_text("square\nthing\n")
    capsys.readouterr()

    def boxes(folder: Path, source: Path, fmt: str, *extra: str) -> dict:
        args = ["boxes-to-masks", str(folder), "--from", str(source), "--format", fmt]
        args += ["--checkpoint", str(random_checkpoint), "--image-size", "256"]
        args += ["--device", "cpu", "--key-every", "3", "--json", *extra]
        assert main(args) == 0
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    for source, fmt, workers in ((coco, "coco", 2), (mot, "mot", 1)):
        local = boxes(project, source, fmt)
        remote = boxes(twin, source, fmt, "--cluster", "local", "--workers", "2")
        assert remote["cluster"] == {
            "address": "local",
            "workers": workers,  # one task per media item: one video, one worker
            "retried": 0,
            "shipped": 0,
        }
        for key in ("images", "videos", "objects", "masks", "skipped_overlapping", "empty"):
            assert remote[key] == local[key], (fmt, key)
        assert local["objects"] > 0 and remote["errors"] == []
    assert _objects(twin) == _objects(project)
    masks = stored_masks(project)
    assert {frame for (_, frame) in masks} >= {0, 1, 6}  # the images' and the video's
    assert stored_masks(twin) == masks
    assert boxes(twin, mot, "mot", "--cluster", "local")["state"] == "nothing to do"


def test_cluster_workers_report_frames_before_each_result(tmp_path, random_checkpoint, cluster):
    from videoseg_desktop.batch.executor import WorkerSpec
    from videoseg_desktop.batch.ray_executor import RayExecutor
    from videoseg_desktop.batch.track_batch import plan_track_all
    from videoseg_desktop.batch.track_work import ModelChoice, TrackWorker
    from videoseg_desktop.store import Project

    project = two_video_project(tmp_path, frames=5)
    choice = ModelChoice("tiny", str(random_checkpoint), 256, "cpu", "fp32")
    with Project.open(project, user="batch") as p:
        plan = plan_track_all(p, None, "both", "sam2.1_tiny@256")
    executor = RayExecutor("local", WorkerSpec(TrackWorker, {"choice": choice}), workers=2)
    try:
        events = record_progress(executor, plan.tasks)
    finally:
        executor.close()
    check_progress(events, [t.key for t in plan.tasks])
