"""Read-only projects: on a read-only disk (a real read-only tmpfs where the platform allows, a
folder without write permission elsewhere) and opened read-only by choice next to a writer."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image

from tests.helpers.filesystems import remount_read_only, small_tmpfs
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.errors import ProjectLockedError, ProjectReadOnlyError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.store import DB_NAME, Project


def make_project(root, tmp_path):
    Image.fromarray(np.full((24, 32, 3), 70, np.uint8)).save(tmp_path / "pic.png")
    with Project.create(root) as p:
        p.import_media([tmp_path / "pic.png"])
        obj = p.objects.add(1, p.labels.add("cat").id)
        mask = np.zeros((24, 32), bool)
        mask[4:12, 5:20] = True
        p.masks.put(obj.id, 0, encode_rle(mask), "clicked")
    return root


def listing(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def check_reads_and_refuses_writes(root, reason: str) -> None:
    before = listing(root)
    with Project.open(root) as p:  # not asked for read-only: the folder decides
        assert p.read_only and p.read_only_reason == reason
        assert [lb.name for lb in p.labels.list()] == ["cat"]
        assert p.masks.get(1, 0).area == 8 * 15
        with p.open_frames(p.media.get(1)) as frames:
            assert frames.read(0).shape == (24, 32, 3)
        assert p.thumbnail_path(p.media.get(1)).is_file()  # made in a private temp cache
        with pytest.raises(ProjectReadOnlyError, match="read-only"):
            p.labels.add("dog")
    assert listing(root) == before  # no -wal, -shm, lock, cache or anything else


def test_a_project_on_a_read_only_disk_opens_read_only(tmp_path):
    with small_tmpfs(tmp_path / "disk", 4096) as disk:
        make_project(disk / "proj", tmp_path)
        remount_read_only(disk)
        check_reads_and_refuses_writes(disk / "proj", "the folder cannot be written")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_folder_without_write_permission_opens_read_only(tmp_path):
    root = make_project(tmp_path / "proj", tmp_path)
    modes = {}
    for path in [root, *root.rglob("*")]:
        modes[path] = path.stat().st_mode
        path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
    try:
        check_reads_and_refuses_writes(root, "the folder cannot be written")
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))


def test_read_only_next_to_a_writer_sees_what_it_committed(tmp_path):
    root = make_project(tmp_path / "proj", tmp_path)
    with Project.open(root) as writer:
        with pytest.raises(ProjectLockedError, match="read-only"):
            Project.open(root)
        writer.labels.add("dog")  # in the WAL, not yet checkpointed
        with Project.open(root, read_only=True) as reader:
            assert [lb.name for lb in reader.labels.list()] == ["cat", "dog"]
            assert reader.read_only_reason == "opened read-only"
            with pytest.raises(ProjectReadOnlyError):
                reader.masks.delete(1, 0)


READS = [
    ["info", "{p}"],
    ["info", "{p}", "--json"],
    ["labels", "{p}"],
    ["frame", "{p}", "1", "0", "--out", "{t}/frame.png"],
    ["export", "{p}", "--format", "coco", "--out", "{t}/coco-out"],
    ["export", "{p}", "--format", "yolo", "--out", "{t}/yolo-out"],
    ["check", "{p}"],
    ["review", "{p}"],
    ["status", "{p}"],
    ["stats", "{p}"],
    ["attributes", "{p}", "cat"],
    ["review-settings", "{p}"],
]
WRITES = [
    (["import", "{p}", "{t}/pic.png"], "import"),
    (["labels", "{p}", "add", "dog"], "labels add"),
    (["labels", "{p}", "rename", "cat", "kitten"], "labels rename"),
    (["segment", "{p}", "1", "--point", "3,3"], "segment"),
    (["import-annotations", "{p}", "--format", "coco", "{t}/pic.png"], "import-annotations"),
    (["review", "{p}", "accept", "--media", "1"], "review accept"),
    (["status", "{p}", "1", "done"], "status"),
    (["review-settings", "{p}", "min_score=0.5"], "review-settings"),
    (["attributes", "{p}", "cat", "add", "occluded", "--type", "bool"], "attributes"),
    (["set-attribute", "{p}", "1", "--object", "cat 1", "occluded=true"], "set-attribute"),
    (["autolabel", "{p}", "--concept", "cat"], "autolabel"),
]


def run_all(root, tmp_path, capsys, extra: list[str]) -> None:
    def fill(argv):
        return [a.format(p=root, t=tmp_path) for a in argv]

    before = listing(root)
    for argv in READS:
        flags = extra if argv[0] != "check" else []
        assert main(fill(argv) + flags) == 0, (argv, capsys.readouterr().err)
    capsys.readouterr()
    for argv, command in WRITES:
        assert main(fill(argv) + extra) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"`videoseg {command}` would change it" in err[0], err
    assert listing(root) == before


def test_every_cli_command_on_a_read_only_disk(tmp_path, capsys):
    with small_tmpfs(tmp_path / "disk", 4096) as disk:
        root = make_project(disk / "proj", tmp_path)
        remount_read_only(disk)
        run_all(root, tmp_path, capsys, [])


def test_every_cli_command_with_read_only(tmp_path, capsys):
    root = make_project(tmp_path / "proj", tmp_path)
    with Project.open(root):  # another process is writing: --read-only still reads
        run_all(root, tmp_path, capsys, ["--read-only"])
    assert not (root / f"{DB_NAME}-journal").exists()


def test_a_project_copied_while_open_reads_its_wal_on_a_read_only_disk(tmp_path):
    """Work still in the -wal (the folder copied while the app had it open, or an app that died)
    is read too: ``immutable=1`` alone would show the database file without it."""
    import shutil
    import tempfile

    with small_tmpfs(tmp_path / "disk", 4096) as disk:
        root = make_project(tmp_path / "proj", tmp_path)
        with Project.open(root) as writer:
            writer.labels.add("dog")
            writer.masks.delete(1, 0)
            assert (root / f"{DB_NAME}-wal").stat().st_size > 0
            shutil.copytree(root, disk / "proj")
        remount_read_only(disk)
        before = listing(disk / "proj")
        temp_before = set(os.listdir(tempfile.gettempdir()))
        with Project.open(disk / "proj") as p:
            assert p.read_only
            assert [lb.name for lb in p.labels.list()] == ["cat", "dog"]
            assert p.masks.get(1, 0) is None
        assert listing(disk / "proj") == before
        left = {n for n in set(os.listdir(tempfile.gettempdir())) - temp_before if "read" in n}
        assert not left  # the private copy went with the project


def _project_with_pending_wal(tmp_path, disk):
    import shutil

    root = make_project(tmp_path / "proj", tmp_path)
    with Project.open(root) as writer:
        writer.labels.add("dog")
        shutil.copytree(root, disk / "proj")
    return disk / "proj"


@pytest.mark.parametrize("damage", ["garbage", "flipped", "truncated", "sparse-huge"])
def test_a_crafted_wal_on_a_read_only_disk_opens_or_is_one_line(tmp_path, damage):
    """The -wal comes from anyone too: garbage, a flipped byte, half a file, or one claiming a
    terabyte (sparse) that would fill the temp disk if copied. SQLite skips frames whose
    checksums fail; a size that cannot fit is refused before copying."""
    import tempfile

    from videoseg_desktop.core.errors import ProjectError

    with small_tmpfs(tmp_path / "disk", 4096) as disk:
        root = _project_with_pending_wal(tmp_path, disk)
        wal = root / f"{DB_NAME}-wal"
        data = bytearray(wal.read_bytes())
        if damage == "garbage":
            wal.write_bytes(np.random.default_rng(1).bytes(len(data)))
        elif damage == "flipped":
            data[len(data) // 2] ^= 0xFF
            wal.write_bytes(bytes(data))
        elif damage == "truncated":
            wal.write_bytes(bytes(data[: len(data) // 2]))
        else:
            with open(wal, "r+b") as fh:
                fh.truncate(1024**4)
        remount_read_only(disk)
        temp_before = set(os.listdir(tempfile.gettempdir()))
        try:
            with Project.open(root) as p:
                names = [lb.name for lb in p.labels.list()]
                assert names[0] == "cat" and set(names) <= {"cat", "dog"}
                assert p.masks.get(1, 0).area == 8 * 15
            assert damage != "sparse-huge"
        except ProjectError as exc:
            assert "\n" not in str(exc) and str(root) in str(exc)
            if damage == "sparse-huge":
                assert "do not fit" in str(exc)
        left = {n for n in set(os.listdir(tempfile.gettempdir())) - temp_before if "read" in n}
        assert not left
