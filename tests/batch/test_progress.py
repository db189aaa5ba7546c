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
