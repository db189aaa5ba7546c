"""`videoseg check`: each kind of damage is found, explained, and nothing is changed; a damaged
database is one clear line for every other command too."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.media.frame_index import build_frame_index
from videoseg_desktop.store import DB_NAME, Project


@pytest.fixture
def root(tmp_path):
    Image.fromarray(np.full((24, 32, 3), 50, np.uint8)).save(tmp_path / "pic.png")
    write_video(moving_square_frames(8), tmp_path / "clip.mp4", gop=4)
    root = tmp_path / "proj"
    with Project.create(root) as p:
        p.import_media([tmp_path / "pic.png", tmp_path / "clip.mp4"])
        label = p.labels.add("cat").id
        obj = p.objects.add(1, label)
        p.masks.put(obj.id, 0, encode_rle(np.eye(24, 32, dtype=bool)), "clicked")
        for f in range(8):
            p.masks.put(
                p.objects.add(2, label).id, f, encode_rle(np.ones((240, 320), bool)), "edited"
            )
    return root


def check(root, capsys, *flags) -> tuple[int, str]:
    code = main(["check", str(root), *flags])
    return code, capsys.readouterr().out


def sql(root, statement, params=()):
    with sqlite3.connect(root / DB_NAME) as conn:
        conn.execute(statement, params)
    conn.close()


def files(root) -> dict:
    """Every file but SQLite's own -wal/-shm (a reader may create them in a writable folder)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def test_a_healthy_project(root, capsys):
    code, out = check(root, capsys)
    assert code == 0 and "no problems found" in out and "2 media" in out and "9 masks" in out
    code, out = check(root, capsys, "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def damage_media_size(root):
    (root / "media" / "pic.png").write_bytes(b"\x89PNG" + b"\0" * 10)


def damage_media_content(root):
    data = bytearray((root / "media" / "pic.png").read_bytes())
    data[-20] ^= 0xFF
    (root / "media" / "pic.png").write_bytes(bytes(data))


def damage_missing(root):
    (root / "media" / "clip.mp4").unlink()


def damage_rle(root):
    sql(root, "UPDATE masks SET counts = 'garbage!!' WHERE object_id = 1")


def damage_frame(root):
    sql(root, "UPDATE masks SET frame = 99 WHERE object_id = 2")


def damage_size(root):
    sql(root, "UPDATE masks SET width = 33 WHERE object_id = 1")


def damage_setting(root):
    sql(root, "INSERT OR REPLACE INTO settings VALUES ('default_model', '../x.yaml')")


def damage_path(root):
    sql(root, "UPDATE media SET path = 'media/../../x' WHERE id = 1")


def damage_index(root):
    with Project.open(root, read_only=True) as p:
        index_file = p.frame_index_path(p.media.get(2))
    index = build_frame_index(root / "media" / "clip.mp4")
    index.pts, index.keyframe = index.pts[:5], index.keyframe[:5]
    index.save(index_file)


CASES = {
    "media size": (damage_media_size, "media", "restore the file"),
    "media content": (damage_media_content, "content changed", "restore the file"),
    "missing file": (damage_missing, "missing", "restore the file"),
    "corrupt rle": (damage_rle, "RLE", "delete that object's mask"),
    "frame out of range": (damage_frame, "outside media 2's frames", "delete"),
    "mask size": (damage_size, "33x24", "delete"),
    "setting": (damage_setting, "default_model", "set it again"),
    "path outside": (damage_path, "outside the project", "remove this media"),
    "frame index": (damage_index, "frame index has 5 frames", "is rebuilt"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_damage_is_found_with_what_to_do(root, capsys, case):
    damage, problem, advice = CASES[case]
    damage(root)
    before = files(root)
    code, out = check(root, capsys)
    assert code == 1
    assert problem in out and advice in out, out
    assert files(root) == before  # check changes nothing


def test_a_corrupt_database_page(root, capsys, tmp_path):
    with Project.open(root):  # a migration-style backup to recommend
        pass
    (root / f"{DB_NAME}.v3-20260101T000000.bak").write_bytes((root / DB_NAME).read_bytes())
    data = bytearray((root / DB_NAME).read_bytes())
    page = 4096
    noise = np.random.default_rng(0).integers(0, 255, len(data), np.uint8).tobytes()
    data[page:] = noise[page:]  # every page but the first (the schema) is noise
    (root / DB_NAME).write_bytes(bytes(data))
    code, out = check(root, capsys)
    assert code == 1 and "restore project.vseg from its automatic backup" in out, out
    for argv in (["info", str(root)], ["export", str(root), "--format", "coco"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "damaged" in err or "not a readable project database" in err, err
