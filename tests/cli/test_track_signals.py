"""SIGTERM and SIGHUP stop `videoseg track` like Ctrl-C: the frames tracked so far are stored
(the batch in hand included), temporary files go, the exit code says which signal; and sam2's
missing-extension warning is not printed."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.batch.track_batch import BATCH_FRAMES
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.store import DB_NAME, Project

FRAMES = 60
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def make_project(tmp_path: Path, frames: int) -> Path:
    write_video(moving_square_frames(frames), tmp_path / "clip.mp4", gop=10)
    root = tmp_path / "proj"
    with Project.create(root) as p:
        p.import_media([tmp_path / "clip.mp4"])
        square = np.zeros((240, 320), bool)
        square[60:110, 10:60] = True
        p.masks.put(p.objects.add(1).id, 0, encode_rle(square), "clicked")
    return root


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path, FRAMES)


def propagated(root: Path) -> int:
    with sqlite3.connect(root / DB_NAME) as conn:
        n = conn.execute("SELECT count(*) FROM masks WHERE source = 'propagated'").fetchone()[0]
    conn.close()
    return n


def track(root: Path, checkpoint: Path, stderr=subprocess.PIPE) -> subprocess.Popen:
    argv = [sys.executable, "-m", "videoseg_desktop.cli.main", "track", str(root), "1"]
    argv += ["--checkpoint", str(checkpoint), "--image-size", "256", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)


def frames_done(fd: int, seen: str) -> tuple[int, str]:
    """The last ``tracking: N/M`` the progress line drew on the terminal ``fd``."""
    import re

    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        with contextlib.suppress(OSError):
            seen += os.read(fd, 65536).decode(errors="replace")
    found = re.findall(r"tracking: (\d+)/", seen)
    return (int(found[-1]) if found else 0), seen[-2000:]


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_saves_the_batch_in_hand(project, random_checkpoint, signame):
    import pty  # POSIX only

    # stderr on a terminal: the progress line is drawn for every frame tracked
    master, slave = pty.openpty()
    proc = track(project, random_checkpoint, stderr=slave)
    os.close(slave)
    spill = project / "cache" / "tracking"
    start, done, seen = time.perf_counter(), 0, ""
    while done < 3 and time.perf_counter() - start < 180:  # a few frames in hand, < a batch
        assert proc.poll() is None, seen
        done, seen = frames_done(master, seen)
    assert propagated(project) == 0
    proc.send_signal(getattr(signal, signame))
    out, _ = proc.communicate(timeout=60)
    while True:  # the rest of what it wrote
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536).decode(errors="replace")
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    err = seen
    assert proc.returncode == 128 + getattr(signal, signame), err
    assert "stopped by a signal; work in hand was saved" in err and "Traceback" not in err
    stored = propagated(project)
    assert 0 < stored < FRAMES - 1, stored
    assert stored < BATCH_FRAMES or stored % BATCH_FRAMES, "the partial batch was stored"
    assert not any(spill.glob("p*/track-*"))  # the session's temporary memory is gone


def test_tracking_prints_no_sam2_warning(tmp_path, random_checkpoint):
    proc = track(make_project(tmp_path, 4), random_checkpoint)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "_C" not in err and "Skipping the post-processing" not in err
    assert "Warning" not in err, err
