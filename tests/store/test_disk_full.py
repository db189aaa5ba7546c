"""A full disk during import, label edits, mask writes and export: one clear line, nothing
committed half-way, nothing left behind.

Where the platform allows, on a real tmpfs of a few MiB filled to the brim (ENOSPC from the
kernel, SQLITE_FULL from SQLite); everywhere, with SQLite's page limit (a real SQLITE_FULL) and
ENOSPC raised at the write calls.
"""

from __future__ import annotations

import errno
import json
import shutil
import sqlite3

import numpy as np
import pytest
from PIL import Image

from tests.helpers.filesystems import fill_disk, small_tmpfs
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.errors import StorageError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.store import DB_NAME, Project


def make_project(root, tmp_path):
    Image.fromarray(np.full((24, 32, 3), 70, np.uint8)).save(tmp_path / "pic.png")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (200, 300, 3), np.uint8)).save(tmp_path / "big.png")
    with Project.create(root) as p:
        p.import_media([tmp_path / "pic.png"])
        obj = p.objects.add(1, p.labels.add("cat").id)
        mask = np.zeros((24, 32), bool)
        mask[4:12, 5:20] = True
        p.masks.put(obj.id, 0, encode_rle(mask), "clicked")
    coco = {
        "images": [{"id": 1, "file_name": "pic.png", "width": 32, "height": 24}],
        "annotations": [
            {"id": k, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 20, 1, 20, 20]]}
            for k in range(1, 400)
        ],
        "categories": [{"id": 1, "name": "dog" * 30}],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    return root


def state(root) -> tuple:
    with Project.open(root, read_only=True) as p:
        rows = p.db.conn.execute("SELECT * FROM masks ORDER BY object_id, frame").fetchall()
        check = p.db.conn.execute("PRAGMA integrity_check").fetchone()[0]
        return p.labels.list(), p.media.list(), rows, check


def leftovers(root) -> list[str]:
    names = [p.name for p in (root / "media").iterdir()] + [
        p.name for p in (root / "exports").iterdir()
    ]
    return [n for n in names if n.startswith(".")]


COMMANDS = [
    ["import", "{p}", "{t}/big.png"],
    ["labels", "{p}", "add", "{long}"],
    ["import-annotations", "{p}", "--format", "coco", "{t}/coco.json"],
    ["export", "{p}", "--format", "yolo"],
    ["export", "{p}", "--format", "coco", "--copy-images", "--zip"],
]


def run_commands(root, tmp_path, capsys, commands=COMMANDS) -> None:
    before = state(root)
    for argv in commands:
        argv = [a.format(p=root, t=tmp_path, long="x" * 90) for a in argv]
        assert main(argv) == 1, argv
        out = capsys.readouterr().err
        err = [line for line in out.splitlines() if line.startswith("videoseg:")]
        assert len(err) == 1 and "full" in err[0] and "Traceback" not in out, (argv, out)
        assert state(root) == before, argv
        assert leftovers(root) == [], argv


def test_a_real_full_disk(tmp_path, capsys):
    with small_tmpfs(tmp_path / "disk", 3072) as disk:
        root = make_project(disk / "proj", tmp_path)
        filler = fill_disk(disk)
        run_commands(root, tmp_path, capsys)
        filler.unlink()  # space again: everything works, nothing was lost
        assert main(["labels", str(root), "add", "dog"]) == 0
        assert state(root)[3] == "ok"


def test_sqlite_full_and_enospc_at_the_write_calls(tmp_path, capsys, monkeypatch):
    root = make_project(tmp_path / "proj", tmp_path)
    conn = sqlite3.connect(root / DB_NAME, isolation_level=None)  # pack the database's pages,
    pages = conn.execute("PRAGMA page_count").fetchone()[0] + 2  # then let it grow no more
    conn.execute(f"PRAGMA max_page_count = {pages}")
    for n in range(100_000):
        try:
            conn.execute("INSERT INTO ui_state VALUES (?, 'x')", (f"filler{n}",))
        except sqlite3.OperationalError:
            break
    conn.close()
    real_connect = Project.__init__

    def capped(self, *args, **kwargs):
        real_connect(self, *args, **kwargs)
        if not self.read_only:
            self.db.conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(Project, "__init__", capped)

    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", no_space)  # media copies and --copy-images
    monkeypatch.setattr("videoseg_desktop.export.writer.write_json_streaming", no_space)
    monkeypatch.setattr("videoseg_desktop.export.yolo.data_yaml", no_space)
    # a label row fits in its table's half-empty page: that one is for the real disk above
    run_commands(root, tmp_path, capsys, [c for c in COMMANDS if c[0] != "labels"])


def test_full_at_commit_rolls_back_and_the_connection_stays_usable(tmp_path):
    root = make_project(tmp_path / "proj", tmp_path)
    with Project.open(root) as p:
        pages = p.db.conn.execute("PRAGMA page_count").fetchone()[0]
        p.db.conn.execute(f"PRAGMA max_page_count = {pages}")
        big = [(1, f, encode_rle(np.ones((24, 32), bool)), "propagated") for f in range(500)]
        with pytest.raises(StorageError, match="full"):
            p.masks.put_many(big)
        assert p.masks.frames_of(1) == [(0, "clicked")]
        p.db.conn.execute(f"PRAGMA max_page_count = {pages * 100}")
        p.labels.add("dog")  # the failed transaction left nothing open
        assert [lb.name for lb in p.labels.list()] == ["cat", "dog"]
