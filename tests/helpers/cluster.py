"""Helpers for the batch tests: a small project of two videos with objects, and a worker that
dies on its first task (a worker lost mid-task)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.batch.track_work import TrackWorker
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import Project

SIZE = (240, 320)


def square(frame: int) -> np.ndarray:
    mask = np.zeros(SIZE, bool)
    x = 10 + frame * 7
    mask[60:110, x : x + 50] = True
    return mask


def two_video_project(tmp_path: Path, frames: int = 6) -> Path:
    """Media 1 and 2: videos of a moving square (``frames`` and ``frames - 2`` frames), each
    with a clicked mask on one frame; media 2 has a second object given by a box prompt;
    media 3: a video with no object."""
    from videoseg_desktop.cli.main import main

    clips = []
    for n, count in enumerate((frames, frames - 2, 3)):
        clip = tmp_path / f"clip{n}.mp4"
        write_video(moving_square_frames(count), clip, gop=3 + n)
        clips.append(str(clip))
    folder = tmp_path / "proj"
    assert main(["new", str(folder)]) == 0
    assert main(["import", str(folder), *clips]) == 0
    with Project.open(folder, user="tester") as p:
        a = p.objects.add(1, None, name="a")
        p.masks.put(a.id, 1, encode_rle(square(1)), MaskSource.CLICKED, "hand")
        b = p.objects.add(2, None, name="b")
        p.masks.put(b.id, 1, encode_rle(square(1)), MaskSource.CLICKED, "hand")
        c = p.objects.add(2, None, name="c")
        p.prompts.add(c.id, 0, "box", (0, 0, 60, 50), True)
    return folder


def stored_masks(folder: Path) -> dict[tuple[int, int], tuple]:
    """(object id, frame) -> (source, mask bytes, model, score) of every stored mask."""
    with Project.open(folder, read_only=True) as p:
        out = {}
        for item in p.media.list():
            for obj in p.objects.list(item.id):
                for r in p.masks.for_object(obj.id):
                    out[obj.id, r.frame] = (
                        r.source,
                        decode_rle(r.rle).tobytes(),
                        r.model,
                        r.score,
                    )
        return out


class CrashingTrackWorker(TrackWorker):
    """Kills its own process on the first task it is given while ``marker`` does not exist
    (then creates it), as a node lost or an OOM kill would: the batch must send that task
    again to another worker."""

    def __init__(self, choice, marker: str) -> None:
        super().__init__(choice)
        self.marker = Path(marker)

    def run(self, media, payload, shipped=None, report=None):
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().run(media, payload, shipped, report)
        os.close(fd)
        os._exit(1)


class NoSharedFolderTrackWorker(TrackWorker):
    """A worker on a node that does not see the driver's files: it asks for them."""

    def run(self, media, payload, shipped=None, report=None):
        if shipped is None:
            from videoseg_desktop.batch.executor import MediaUnreadable

            raise MediaUnreadable(f"media {media.media_id}: not readable here")
        return super().run(media, payload, shipped, report)


def record_progress(executor, tasks) -> list[tuple]:
    """Run ``tasks``; the driver's view in order: ("progress", key, done, total) and
    ("outcome", key, error)."""
    events: list[tuple] = []

    def progress(task, done: int, total: int) -> None:
        events.append(("progress", task.key, done, total))

    for outcome in executor.run(tasks, progress):
        events.append(("outcome", outcome.task.key, outcome.error))
    return events


def check_progress(events: list[tuple], keys, at_least: int = 1) -> None:
    """Each task's progress comes before its outcome (a result), never after; its counts
    grow and end at its total."""
    for key in keys:
        mine = [e for e in events if e[1] == key]
        assert [e[0] for e in mine].count("outcome") == 1, mine
        assert mine[-1] == ("outcome", key, None), mine
        counts = [e[2] for e in mine[:-1]]
        assert len(counts) >= at_least, mine
        assert counts == sorted(counts) and counts[-1] == mine[-2][3] > 0, mine
