"""`videoseg track`, `import` and `export` killed with SIGKILL at random moments (several rounds
each): the database stays intact, every mask committed before is unchanged, whatever the run
committed is whole, no media row lacks its file, and the next open cleans up what was left.

The moments are random on every run (the seed is in the failure message; set
VIDEOSEG_CRASH_SEED to replay one). About 40 s on 2 CPU cores, most of it loading the model.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.store import DB_NAME, Project

ROUNDS = 4  # odd rounds kill inside the phase that leaves temporary files
CLEANED: list[str] = []  # what the opens after the kills removed (shown with -s)
FRAMES = 24
SEED = int(os.environ.get("VIDEOSEG_CRASH_SEED", time.time()))
pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "videoseg_desktop.cli.main", *map(str, args)]


def env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (1500, 2000, 3), np.uint8)).save(folder / "big.png")
    write_video(moving_square_frames(FRAMES), folder / "clip.mp4", gop=6)
    write_video(moving_square_frames(40), folder / "other.mp4", gop=8)
    return {"big": folder / "big.png", "clip": folder / "clip.mp4", "other": folder / "other.mp4"}


@pytest.fixture
def project(tmp_path, sources) -> Path:
    root = tmp_path / "proj"
    with Project.create(root) as p:
        p.import_media([sources["clip"]])
        label = p.labels.add("square").id
        obj = p.objects.add(1, label)
        square = np.zeros((240, 320), bool)
        square[60:110, 10:60] = True  # the square on frame 0 (see moving_square_frames)
        p.masks.put(obj.id, 0, encode_rle(square), "clicked")
        p.masks.put(p.objects.add(1, label).id, 5, encode_rle(square), "edited")
        p.masks.put_many(  # a track to export: every frame is written by the export
            (obj.id, f, encode_rle(np.roll(square, 7 * f, axis=1)), "propagated")
            for f in range(1, FRAMES)
        )
    return root


def snapshot(root: Path) -> dict:
    with sqlite3.connect(f"file:{root / DB_NAME}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT object_id, frame, height, width, counts, area, source FROM masks"
        ).fetchall()
    conn.close()
    return {(r[0], r[1]): r for r in rows}


def kill_at_random(argv: list[str], earliest: float, latest: float, rng) -> tuple[float, bool]:
    """Run ``argv``, SIGKILL it at a random moment; (moment, whether it was still running)."""
    moment = rng.uniform(earliest, latest)
    proc = subprocess.Popen(argv, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=moment)
        return moment, False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        return moment, True


def kill_when(argv: list[str], ready, delay: float, timeout: float = 60) -> tuple[float, bool]:
    """Run ``argv`` and SIGKILL it ``delay`` s after ``ready()`` first holds (a moment inside
    the phase that leaves temporary files); (seconds run, whether it was still running)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None and not ready() and time.perf_counter() - start < timeout:
        time.sleep(0.002)
    time.sleep(delay)
    running = proc.poll() is None
    if running:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return time.perf_counter() - start, running


def any_entry(folder: Path, pattern: str):
    return lambda: any(folder.glob(pattern))


def verify(root: Path, before: dict, context: str) -> None:
    with sqlite3.connect(root / DB_NAME) as conn:  # as the next process would: WAL recovered
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", context
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == [], context
        media = conn.execute("SELECT id, path FROM media").fetchall()
    conn.close()
    after = snapshot(root)
    for key, row in before.items():  # committed before: unchanged (never a kept source lost)
        if row[6] in ("clicked", "edited", "imported"):
            assert after.get(key) == row, f"{context}: mask {key} changed"
    for key, row in after.items():  # committed by the killed run: whole
        if key not in before:
            mask = decode_rle({"size": [row[2], row[3]], "counts": row[4]})
            assert int(mask.sum()) == row[5], f"{context}: mask {key} is not whole"
    for media_id, path in media:
        assert (root / path).is_file(), f"{context}: media {media_id} has no file"
    with Project.open(root) as p:  # the next open cleans up after the dead process
        leftovers = [str(x.relative_to(root)) for x in p.leftovers_removed]
        CLEANED.extend(leftovers)
        assert p.media_guard.flagged() == {} or all(
            why == "modified" for why in p.media_guard.flagged().values()
        ), context
    for folder in (root / "media", root / "exports"):
        assert not [x.name for x in folder.iterdir() if x.name.startswith(".")], context
    tracking = root / "cache" / "tracking"
    assert not tracking.exists() or not any(tracking.iterdir()), (context, leftovers)


def test_track_killed_at_random_moments(project, random_checkpoint):
    rng = random.Random(SEED)
    argv = cli("track", project, 1, "--checkpoint", random_checkpoint, "--image-size", 256)
    argv += ["--device", "cpu", "--direction", "forward"]
    outcomes = []
    tracking = project / "cache" / "tracking"
    for n in range(ROUNDS - 1):  # each round loads the model: one fewer
        before = snapshot(project)
        if n % 2:  # while frames are being tracked and stored in batches
            moment, killed = kill_when(argv, any_entry(tracking, "p*/track-*/*"), rng.uniform(0, 2))
        else:
            moment, killed = kill_at_random(argv, 1.0, 9.0, rng)
        verify(project, before, f"track round {n}, killed at {moment:.2f} s (seed {SEED})")
        outcomes.append(killed)
    print(f"track: killed {outcomes}, cleaned {CLEANED}")
    assert any(outcomes), "no round was killed while running: the test proved nothing"


def test_import_killed_at_random_moments(project, sources):
    rng = random.Random(SEED + 1)
    argv = cli("import", project, sources["big"], sources["other"])
    outcomes = []
    for n in range(ROUNDS):
        before = snapshot(project)
        if n % 2:  # while a file is being copied in
            media = project / "media"
            moment, killed = kill_when(argv, any_entry(media, ".import-*"), rng.uniform(0, 0.02))
        else:
            moment, killed = kill_at_random(argv, 0.3, 2.5, rng)
        verify(project, before, f"import round {n}, killed at {moment:.2f} s (seed {SEED})")
        outcomes.append(killed)
        with Project.open(project) as p:  # start each round from a project without them
            for item in p.media.list()[1:]:
                p.media.delete(item.id)
                p.media_path(item).unlink()
    print(f"import: killed {outcomes}, cleaned {CLEANED}")
    assert any(outcomes), "no round was killed while running: the test proved nothing"


def test_export_killed_at_random_moments(project):
    rng = random.Random(SEED + 2)
    argv = cli("export", project, "--format", "yolo", "--frames-as-images")
    outcomes = []
    for n in range(ROUNDS):
        before = snapshot(project)
        if n % 2:  # while the export is being written
            exports = project / "exports"
            moment, killed = kill_when(argv, any_entry(exports, ".*partial*"), rng.uniform(0, 0.04))
        else:
            moment, killed = kill_at_random(argv, 0.3, 2.0, rng)
        verify(project, before, f"export round {n}, killed at {moment:.2f} s (seed {SEED})")
        for done in (project / "exports").iterdir():  # a finished export is complete
            assert (done / "data.yaml").is_file(), done
        outcomes.append(killed)
    print(f"export: killed {outcomes}, cleaned {CLEANED}")
    assert any(outcomes), "no round was killed while running: the test proved nothing"
