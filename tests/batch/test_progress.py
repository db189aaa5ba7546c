"""Per-frame progress of batch tasks in this process (the path every local run takes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cluster import check_progress, record_progress, two_video_project
from tests.helpers.tracking import one_torch_thread
from videoseg_desktop.batch.executor import MediaRef, ProgressUnits, Task
from videoseg_desktop.core.records import MediaKind


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    yield from one_torch_thread()


def _task(key: int) -> Task:
    return Task(key, MediaRef(key, "x.mp4", MediaKind.VIDEO, 1), None)


def test_progress_units_scale_to_frames_and_never_go_back():
    a, b = _task(0), _task(1)
    units = ProgressUnits({0: 10, 1: 1})
    assert units.total == 11
    assert units.progress(a, 1, 4) == 2  # a quarter of 10 frames, rounded
    assert units.progress(a, 2, 4) == 3
    assert units.progress(a, 1, 4) == 0  # sent again (its worker lost): no step back
    assert units.progress(a, 9, 4) == 5  # a worker's count past its total is capped
    assert units.progress(b, 0, 0) == 0
    assert units.finish(b) == 1 and units.finish(a) == 0 and units.done == 11


def test_the_local_executor_reports_each_frame_before_the_video_s_result(
    tmp_path, random_checkpoint
):
    from videoseg_desktop.batch.executor import LocalExecutor, WorkerSpec
    from videoseg_desktop.batch.track_batch import plan_track_all
    from videoseg_desktop.batch.track_work import ModelChoice, TrackWorker
    from videoseg_desktop.store import Project

    project: Path = two_video_project(tmp_path, frames=5)
    choice = ModelChoice("tiny", str(random_checkpoint), 256, "cpu", "fp32")
    with Project.open(project, user="batch") as p:
        plan = plan_track_all(p, None, "both", "sam2.1_tiny@256")
    executor = LocalExecutor(WorkerSpec(TrackWorker, {"choice": choice}))
    events = record_progress(executor, plan.tasks)
    assert len(plan.tasks) == 2
    # one report per tracked frame (video 1: 5 frames, video 2: 3 frames, one pass each)
    check_progress(events, [t.key for t in plan.tasks], at_least=3)
    assert [e[0] for e in events if e[1] == 0].count("progress") >= 4


def test_boxes_to_masks_tasks_report_frames_before_their_results(tmp_path, random_checkpoint):
    """A MOT video reports each tracked frame, an image once; both before their results."""
    from PIL import Image

    from tests.helpers.video import moving_square_frames, write_video
    from videoseg_desktop.batch.box_work import BoxPayload, BoxWorker
    from videoseg_desktop.batch.executor import LocalExecutor, WorkerSpec
    from videoseg_desktop.batch.track_work import ModelChoice
    from videoseg_desktop.core.box_prompts import BoxTrack, DetectedBox
    from videoseg_desktop.core.prompts import Box

    frames = moving_square_frames(6)
    clip = write_video(frames, tmp_path / "clip.mp4")
    picture = tmp_path / "pic.png"
    Image.fromarray(frames[0]).save(picture)
    boxes = tuple(
        DetectedBox("square", Box(10 + 7 * f, 60, 60 + 7 * f, 110), 0.9, f) for f in range(1, 5)
    )
    tasks = [
        Task(
            0,
            MediaRef(1, str(clip), MediaKind.VIDEO, clip.stat().st_size),
            BoxPayload(tracks=(BoxTrack(1, "square", boxes),), key_every=2),
        ),
        Task(
            1,
            MediaRef(2, str(picture), MediaKind.IMAGE, picture.stat().st_size),
            BoxPayload(boxes=(boxes[0],)),
        ),
    ]
    choice = ModelChoice("tiny", str(random_checkpoint), 256, "cpu", "fp32")
    events = record_progress(LocalExecutor(WorkerSpec(BoxWorker, {"choice": choice})), tasks)
    check_progress(events, [0, 1])
    assert [e[2:] for e in events if e[:2] == ("progress", 0)] == [(f, 4) for f in range(1, 5)]
    assert [e[2:] for e in events if e[:2] == ("progress", 1)] == [(1, 1)]
