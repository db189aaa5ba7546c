"""Active time with a fake clock, clicks per object and corrections per track."""

import pytest

from tests.helpers.review import add_media, box_rle, put_track
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import Project


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "annie")
    with Project.create(tmp_path / "p") as p:
        yield p


def test_active_time_counts_gaps_up_to_the_idle_threshold(project):
    a, b = add_media(project, "a.mp4"), add_media(project, "b.mp4")
    clock = FakeClock()
    tracker = project.activity_tracker(idle_s=60, clock=clock, flush_every_s=10_000)
    tracker.activity(a.id)  # opens a: the first event counts no time
    for _ in range(5):
        clock.advance(10)
        tracker.activity(a.id)  # 5 x 10 s of work on a
    clock.advance(300)  # a coffee break: not counted
    tracker.activity(a.id)
    clock.advance(20)
    tracker.activity(b.id)  # the 20 s before the switch were spent on a
    clock.advance(30)
    tracker.activity(b.id)
    assert tracker.pending_seconds(a.id) == 70 and tracker.pending_seconds(b.id) == 30
    tracker.pause()  # the window lost focus
    clock.advance(5)
    tracker.activity(b.id)  # a new stretch: the 5 s are not counted
    tracker.flush()
    assert project.effort.active_seconds(a.id) == 70
    assert project.effort.active_seconds(b.id, "annie") == 30
    (record,) = project.effort.for_media(a.id)
    assert record.author == "annie" and record.events == 7
    tracker.activity(b.id)
    clock.advance(15)
    tracker.activity(b.id)
    tracker.flush()
    assert project.effort.active_seconds(b.id) == 45  # added to what was there


def test_time_is_flushed_once_enough_has_built_up(project):
    a = add_media(project, "a.mp4")
    clock = FakeClock()
    tracker = project.activity_tracker(idle_s=60, clock=clock, flush_every_s=30)
    tracker.activity(a.id)
    for _ in range(3):
        clock.advance(11)
        tracker.activity(a.id)
    assert project.effort.active_seconds(a.id) == 33 and tracker.pending_seconds(a.id) == 0


def test_read_only_projects_count_nothing(project, tmp_path):
    a = add_media(project, "a.mp4")
    project.close()
    with Project.open(tmp_path / "p", read_only=True) as ro:
        clock = FakeClock()
        tracker = ro.activity_tracker(clock=clock)
        tracker.activity(a.id)
        clock.advance(5)
        tracker.activity(a.id)
        tracker.flush()  # nothing to write to, no error
        assert ro.effort.active_seconds(a.id) == 0


def test_clicks_and_corrections_are_counted_and_survive_undo(project):
    video = add_media(project, "v.mp4")
    obj = project.objects.add(video.id)
    for x in (3, 4, 5):
        project.prompts.add(obj.id, 0, "point", (x, 5))
    put_track(project, obj.id, [0], source=MaskSource.CLICKED)
    put_track(project, obj.id, range(1, 10))
    tracked = project.masks.get(obj.id, 4)
    project.masks.put(obj.id, 4, box_rle(12), MaskSource.EDITED)  # a correction
    project.masks.put(obj.id, 4, box_rle(13), MaskSource.EDITED)  # editing the edit: not one
    project.masks.put(obj.id, 7, box_rle(14), MaskSource.CLICKED)  # another
    project.masks.restore([tracked])  # undo...
    edited = project.masks.get(obj.id, 7)
    project.masks.restore([edited])  # ...and redo count nothing
    obj = project.objects.get(obj.id)
    assert (obj.clicks, obj.corrections) == (3, 2)
    project.objects.delete(obj.id)
    project.objects.restore(obj)
    assert project.objects.get(obj.id).corrections == 2
