"""Media changed behind the project's back: flagged on open by size and time, verified by hash
before tracking and export, never silently used; `import --verify` decodes every frame."""

from __future__ import annotations

import os
import sqlite3

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.errors import MediaError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.store import DB_NAME, Project


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), np.uint8)).save(tmp_path / "copied.png")
    Image.fromarray(rng.integers(0, 255, (24, 32, 3), np.uint8)).save(tmp_path / "linked.png")
    return tmp_path / "copied.png", tmp_path / "linked.png"


@pytest.fixture
def root(tmp_path, files):
    root = tmp_path / "proj"
    with Project.create(root) as p:
        p.import_media([files[0]])
        p.import_media([files[1]], link=True)
        label = p.labels.add("cat").id
        for media_id in (1, 2):
            obj = p.objects.add(media_id, label)
            p.masks.put(obj.id, 0, encode_rle(np.ones((24, 32), bool)), "clicked")
    return root


def same_size_other_content(path, keep_time: bool = True) -> None:
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # same length, other bytes
    stat = path.stat()
    path.write_bytes(bytes(data))
    if keep_time:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_fresh_imports_are_not_flagged(root):
    with Project.open(root) as p:
        assert p.media_guard.flagged() == {}
        for item in p.media.list():
            p.media_guard.verify(item)


def test_a_copy_replaced_by_a_link_out_of_the_project_is_flagged(root, tmp_path):
    """The quick stat on open (one lstat per file) leaves symbolic links to the full check."""
    with Project.open(root) as p:
        copy = p.media_path(p.media.get(1))
        outside = tmp_path / "elsewhere.png"
        outside.write_bytes(copy.read_bytes())
        copy.unlink()
        copy.symlink_to(outside)
        assert p.media_guard.flagged() == {1: "missing"}  # not used: it leads outside
        copy.unlink()
        assert p.media_guard.flagged() == {1: "missing"}


def test_a_touched_file_is_hashed_once_then_trusted_again(root):
    path = root / "media" / "copied.png"
    os.utime(path, (1, 1))
    with Project.open(root) as p:
        assert p.media_guard.flagged() == {1: "modified"}
        p.media_guard.verify(p.media.get(1))  # same hash: fine, and its new time recorded
    with Project.open(root) as p:
        assert p.media_guard.flagged() == {}


def test_a_replaced_file_is_refused_for_export_and_tracking(root, tmp_path, capsys):
    same_size_other_content(root / "media" / "copied.png")
    Image.fromarray(np.zeros((30, 30, 3), np.uint8)).save(root / "media" / "copied.png")
    with Project.open(root) as p:
        assert p.media_guard.flagged()[1] == "size changed"
        with pytest.raises(MediaError, match="changed on disk"):
            p.media_guard.verify(p.media.get(1))
    assert main(["export", str(root), "--format", "yolo"]) == 1
    err = capsys.readouterr().err
    assert "copied.png" in err and "changed on disk" in err and err.count("\n") == 1
    assert not any((root / "exports").iterdir())


def test_a_linked_file_is_hashed_even_when_size_and_time_match(root, files, capsys):
    same_size_other_content(files[1])
    with Project.open(root) as p:
        assert p.media_guard.flagged() == {}  # the cheap check cannot see it...
        with pytest.raises(MediaError, match="re-link"):  # ...the hash before use does
            p.media_guard.verify(p.media.get(2))
    assert main(["export", str(root), "--format", "coco", "--copy-images"]) == 1
    assert "linked.png" in capsys.readouterr().err


def test_a_missing_file_is_flagged_and_refused(root, capsys):
    (root / "media" / "copied.png").unlink()
    with Project.open(root) as p:
        assert p.media_guard.flagged() == {1: "missing"}
    assert main(["export", str(root), "--format", "yolo"]) == 1
    assert "missing" in capsys.readouterr().err


def test_tracking_refuses_a_changed_video_before_loading_a_model(tmp_path, capsys):
    write_video(moving_square_frames(6), tmp_path / "clip.mp4", gop=3)
    root = tmp_path / "v"
    with Project.create(root) as p:
        p.import_media([tmp_path / "clip.mp4"])
        p.prompts.add(p.objects.add(1).id, 0, "point", (10, 10))
    same_size_other_content(root / "media" / "clip.mp4", keep_time=False)
    assert main(["track", str(root), "1", "--model", "no-such-model"]) == 1
    assert "changed on disk" in capsys.readouterr().err  # not the model error: checked first


def test_projects_from_before_record_times_on_first_verification(root):
    with sqlite3.connect(root / DB_NAME) as conn:
        conn.execute("UPDATE media SET mtime_ns = NULL")
    conn.close()
    with Project.open(root) as p:
        assert set(p.media_guard.flagged().values()) == {"modified"}
        for item in p.media.list():
            p.media_guard.verify(item)
    with Project.open(root) as p:
        assert p.media_guard.flagged() == {}


def test_import_verify_refuses_a_video_corrupt_in_the_middle(tmp_path, capsys):
    video = write_video(moving_square_frames(60), tmp_path / "mid.mp4", gop=10)
    data = bytearray(video.read_bytes())
    start = int(len(data) * 0.3)
    data[start : start + 3000] = np.random.default_rng(1).integers(0, 255, 3000, np.uint8).tobytes()
    video.write_bytes(bytes(data))
    assert main(["new", str(tmp_path / "p")]) == 0
    assert main(["import", str(tmp_path / "p"), str(video), "--verify"]) == 1
    assert "frame 14 of 60 cannot be decoded" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "p"), str(video)]) == 0  # the quick check lets it in
