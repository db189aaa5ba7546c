"""The tracking machinery without a model: the worker job's time slices, how a session is kept
in line with the store, and how streamed results are written and undone."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.prompts import Point
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.inference.video_results import (
    FrameResult,
    PropagationOutcome,
    cancel_check,
    plan_passes,
)
from videoseg_desktop.store import Project
from videoseg_desktop.store.tracking_inputs import Conditioning, track_conditioning
from videoseg_desktop.ui.inference.video_jobs import (
    TrackDoneAnswer,
    TrackedVideo,
    TrackFrameAnswer,
    TrackJob,
    VideoRef,
    VideoSessions,
)
from videoseg_desktop.ui.project.project_session import ProjectSession
from videoseg_desktop.ui.video.track_edit_commands import TrackingCommand
from videoseg_desktop.ui.video.track_writer import TrackWriter

N = 10


class FakeSession:
    """The parts of VideoSession the job and TrackedVideo use, recording every call."""

    num_frames, video_width, video_height = N, 8, 6

    def __init__(self):
        self.calls: list[tuple] = []
        self.objects: set[int] = set()

    @property
    def object_ids(self):
        return sorted(self.objects)

    def add_mask(self, obj_id, frame, mask):
        self.objects.add(obj_id)
        self.calls.append(("mask", obj_id, frame))

    def add_prompts(self, obj_id, frame, points, box=None):
        self.objects.add(obj_id)
        self.calls.append(("prompts", obj_id, frame))

    def clear_prompts(self, obj_id, frame):
        self.calls.append(("clear", obj_id, frame))

    def remove_object(self, obj_id):
        self.objects.discard(obj_id)
        self.calls.append(("remove", obj_id))

    def propagate(self, start, direction, end_frame, obj_ids, on_frame, cancel):
        is_cancelled = cancel_check(cancel)
        passes = plan_passes(start, direction, end_frame, N)
        done = 0
        for _, order in passes:
            for frame in order:
                if is_cancelled():
                    return PropagationOutcome(done, 0, True)
                mask = np.zeros((6, 8), bool)
                mask[frame % 6, frame % 8] = frame != 3  # empty on frame 3: the object left
                on_frame(FrameResult(frame, dict.fromkeys(obj_ids, mask), {}, {}))
                done += 1
        return PropagationOutcome(done, 0, False)

    def close(self):
        pass


class FakeWorker:
    def __init__(self, tracked):
        self.engine = type("Engine", (), {"model_id": "fake@256"})()
        self.sent, self.queue = [], []
        self.answered = type("Sig", (), {"emit": lambda _s, a: self.sent.append(a)})()
        self.video_sessions = VideoSessions()
        tracked.engine = self.engine
        self.video_sessions._open[tracked.video.key] = tracked

    def submit(self, job):
        self.queue.append(job)

    def run_until_done(self, job):
        self.queue.append(job)
        while self.queue:
            answer = self.queue.pop(0).run(self)
            if answer is not None:
                self.sent.append(answer)


def fake_tracked() -> TrackedVideo:
    tracked = TrackedVideo.__new__(TrackedVideo)
    tracked.video = VideoRef(1, "/v.mp4", None)
    tracked.frames, tracked.session = None, FakeSession()
    tracked.applied, tracked.tracked = {}, {}
    return tracked


def _mask_rle(x: int) -> dict:
    mask = np.zeros((6, 8), bool)
    mask[1:3, x : x + 2] = True
    return encode_rle(mask)


def test_sync_feeds_only_what_changed():
    tracked = fake_tracked()
    calls = tracked.session.calls
    a = (Conditioning(0, mask=_mask_rle(0)), Conditioning(5, points=(Point(1, 2),)))
    tracked.sync({7: a}, frozenset({7, 8}))
    assert calls == [("mask", 7, 0), ("prompts", 7, 5)]
    calls.clear()
    tracked.sync({7: a}, frozenset({7}))
    assert calls == []  # nothing changed: the tracked memory is left alone
    corrected = (Conditioning(0, mask=_mask_rle(0)), Conditioning(5, mask=_mask_rle(3)))
    tracked.sync({7: corrected}, frozenset({7}))
    assert calls == [("mask", 7, 5)]
    calls.clear()
    tracked.sync({7: corrected[:1]}, frozenset({7}))  # the correction was undone
    assert calls == [("clear", 7, 5)]
    calls.clear()
    tracked.sync({9: (Conditioning(2, points=(Point(3, 3),)),)}, frozenset({9}))
    assert calls == [("remove", 7), ("prompts", 9, 2)]  # object 7 was deleted
    assert tracked.has_output(9, 2) and not tracked.has_output(9, 3)


@pytest.mark.parametrize(
    ("start", "direction", "end", "expected"),
    [
        (4, "forward", None, list(range(4, N))),
        (4, "backward", None, [4, 3, 2, 1, 0]),
        (4, "both", None, [*range(4, N), 4, 3, 2, 1, 0]),
        (2, "forward", 6, [2, 3, 4, 5, 6]),
        (0, "backward", None, []),
    ],
)
def test_track_job_in_one_frame_slices_tracks_every_frame_once(start, direction, end, expected):
    tracked = fake_tracked()
    worker = FakeWorker(tracked)
    job = TrackJob(
        video=tracked.video,
        objects={7: (Conditioning(start, points=(Point(1, 1),)),)},
        alive=frozenset({7}),
        start=start,
        direction=direction,
        end=end,
        slice_s=0.0,  # back to the queue after every frame
    )
    worker.run_until_done(job)
    frames = [a.frame for a in worker.sent if isinstance(a, TrackFrameAnswer)]
    assert frames == expected
    done = worker.sent[-1]
    assert isinstance(done, TrackDoneAnswer) and not done.cancelled
    assert done.frames_done == done.total == len(expected)
    progress = [a.done for a in worker.sent if isinstance(a, TrackFrameAnswer)]
    assert progress == list(range(1, len(expected) + 1))
    if 3 in expected:
        (at_three,) = [a for a in worker.sent if getattr(a, "frame", None) == 3]
        assert at_three.masks == {7: None}  # absent: no RLE travels


def test_track_job_cancel_stops_between_frames():
    tracked = fake_tracked()
    worker = FakeWorker(tracked)
    cancel = threading.Event()
    job = TrackJob(
        video=tracked.video,
        objects={7: (Conditioning(0, points=(Point(1, 1),)),)},
        alive=frozenset({7}),
        cancel=cancel,
        slice_s=0.0,
    )
    worker.answered.emit = lambda a: (worker.sent.append(a), a.frame == 2 and cancel.set())
    worker.run_until_done(job)
    done = worker.sent[-1]
    assert done.cancelled and done.frames_done == 3 and done.total == N


@pytest.fixture
def project(tmp_path, square_mp4):
    with Project.create(tmp_path / "p") as project:
        project.import_media([square_mp4])
        yield project


def _answer(frame, masks, model="m@256"):
    return TrackFrameAnswer(1, None, 1, frame, masks, 0, 0, 0.0, None, model)


def _rle(frame):
    mask = np.zeros((240, 320), bool)
    mask[50:90, frame * 5 : frame * 5 + 30] = True
    return encode_rle(mask)


def test_writer_keeps_segmented_frames_clears_stale_masks_and_undoes(qapp, project):
    media_id = project.media.ids()[0]
    obj = project.objects.add(media_id).id
    project.prompts.add(obj, 6, "point", (10, 10), True)
    project.masks.put(obj, 0, _rle(0), MaskSource.CLICKED, "m")
    project.masks.put(obj, 2, _rle(9), MaskSource.EDITED, None)
    project.masks.put(obj, 3, _rle(8), MaskSource.PROPAGATED, "old")  # stale: object left
    project.masks.put(obj, 4, _rle(7), MaskSource.PROPAGATED, "old")
    cond = track_conditioning(project, obj)
    assert [(c.frame, c.mask is not None) for c in cond] == [(0, True), (2, True), (6, False)]
    before = {r.frame: r for r in project.masks.for_object(obj)}

    writer = TrackWriter(project, media_id)
    for frame in range(0, 6):
        writer.add(_answer(frame, {obj: None if frame == 3 else _rle(frame)}))
    writer.add(_answer(5, {obj + 100: _rle(5)}))  # an object deleted meanwhile: skipped
    assert writer.flush() == 7
    after = dict(project.masks.frames_of(obj))
    assert after == {
        0: MaskSource.CLICKED,
        1: MaskSource.PROPAGATED,
        2: MaskSource.EDITED,
        4: MaskSource.PROPAGATED,
        5: MaskSource.PROPAGATED,
    }
    assert project.masks.get(obj, 2).rle == before[2].rle  # hand work untouched
    assert writer.kept == 2 and writer.stored == 3 and writer.cleared == 1
    assert writer.touched == {obj: {1, 3, 4, 5}}

    session = ProjectSession(project)
    session.set_media(media_id)
    command = TrackingCommand(session, media_id, 0, writer.touched, writer.before, "Track")
    project.masks.put(obj, 5, _rle(1), MaskSource.CLICKED, "m")  # a correction after tracking
    command.undo()
    restored = {r.frame: r for r in project.masks.for_object(obj)}
    assert set(restored) == {0, 2, 3, 4, 5}
    assert restored[3].rle == before[3].rle and restored[4].model == "old"
    assert restored[5].source == MaskSource.CLICKED  # newer hand work is not undone
    command.redo()
    assert dict(project.masks.frames_of(obj)) == {**after, 5: MaskSource.CLICKED}
    session.close()
