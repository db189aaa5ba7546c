"""A work package comes back from a colleague: its database, manifest and media/ folder may be
crafted. Each attack here is made the way an attacker would (the package's database edited
with plain sqlite3, files written by hand), starting from a real split. Each must end in one
line (a VideoSegError, or a per-item refusal in the report), leave the source project's every
table and its media/ folder as they were, never write to the package, and finish quickly.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from tests.helpers.team import edit_and_add, every_table, png, rle
from videoseg_desktop.cli.main import main
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskSource
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_package import MANIFEST_NAME
from videoseg_desktop.store.team_split import split_project

SECONDS = 10  # every refusal is quick; a hang or a bomb is not


@pytest.fixture
def package(source, tmp_path) -> Path:
    """Alice's package (img0 and its object), with real work in it: a changed mask, a new
    object with a prompt, an attribute value, a decision and effort, so every table has rows
    the merge reads."""
    folder = split_project(source, tmp_path / "out", ["alice", "bob"])[0].folder
    with Project.open(folder, user="alice") as pkg:
        edit_and_add(pkg, new_on_media=1)
    return folder


def snapshot(project) -> dict:
    """Every table of the source, and its media/ folder."""
    tables = every_table(project)
    tables["<files>"] = sorted(str(p.relative_to(project.root)) for p in project.root.rglob("*"))
    tables["<files>"] = [
        f for f in tables["<files>"] if not f.startswith(DB_NAME) and not f.endswith(".lock")
    ]
    return tables


def craft(folder: Path, *statements, params=()) -> None:
    """Edit the package's database as an attacker would: plain sqlite3, no checks."""
    conn = sqlite3.connect(folder / DB_NAME)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for statement in statements:
            conn.execute(statement, params) if params else conn.executescript(statement)
        conn.commit()
    finally:
        conn.close()


def digest(folder: Path) -> str:
    return hashlib.sha256((folder / DB_NAME).read_bytes()).hexdigest()


def refused(source, folder: Path, match: str | None = None) -> str:
    """The merge refuses the package with one line and changes nothing in the source."""
    before = snapshot(source)
    start = time.perf_counter()
    with pytest.raises(VideoSegError) as info:
        merge_package(source, folder)
    assert time.perf_counter() - start < SECONDS
    text = str(info.value)
    assert "\n" not in text.strip() and len(text) < 600
    if match:
        assert match in text, text
    assert snapshot(source) == before
    assert source.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return text


def merged_or_refused(source, folder: Path) -> None:
    """Whatever the merge makes of it, the source stays whole and reads back."""
    before = snapshot(source)
    start = time.perf_counter()
    try:
        merge_package(source, folder)
    except VideoSegError as exc:
        assert "\n" not in str(exc).strip()
        assert snapshot(source) == before
    assert time.perf_counter() - start < SECONDS
    assert source.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    readable(source)


def readable(project) -> None:
    """Every row a merge may have written reads back through the store's own readers."""
    from videoseg_desktop.core.masks import decode_rle

    project.labels.list()
    for item in project.media.list():
        for obj in project.objects.list(item.id):
            project.prompts.list(obj.id)
            for mask in project.masks.for_object(obj.id):
                assert decode_rle(mask.rle).shape == (item.height, item.width)
                assert 0 <= mask.frame < item.frame_count


# -- the manifest -------------------------------------------------------------------------------
def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def _write_manifest(folder: Path, data) -> None:
    (folder / MANIFEST_NAME).write_text(json.dumps(data))


def test_a_manifest_naming_another_project_is_refused(source, package):
    data = _manifest(package)
    data["source"]["id"] = "0" * 32
    _write_manifest(package, data)
    refused(source, package, "another project")


def test_a_manifest_naming_a_package_never_handed_out_is_refused(source, package):
    data = _manifest(package)
    data["package_id"] = "f" * 32
    _write_manifest(package, data)
    refused(source, package, "not split from this project")


def test_a_manifest_and_database_that_disagree_are_refused(source, package, tmp_path):
    other = split_project(source, tmp_path / "more", ["carol"])[0].folder
    (package / MANIFEST_NAME).write_bytes((other / MANIFEST_NAME).read_bytes())
    refused(source, package, "does not match its manifest")


def test_a_manifest_mapping_package_media_onto_media_not_handed_out_is_refused(source, package):
    """img1 went to bob: a crafted mapping must not let alice's objects land on it."""
    data = _manifest(package)
    data["media"][0]["source_id"] = 2
    _write_manifest(package, data)
    refused(source, package)


def test_a_manifest_too_large_or_too_deep_is_one_line(source, package):
    path = package / MANIFEST_NAME
    path.write_text("[" * 200_000 + "]" * 200_000)
    refused(source, package, "manifest")
    with open(path, "wb") as f:  # sparse: refused by its size, never read
        f.truncate(600 * 1024**2)
    refused(source, package, "manifest")
    path.write_bytes(b"\xff\xfe{")
    refused(source, package, "manifest")


@pytest.mark.parametrize(
    "change",
    [
        {"media": [{"package_id": "1", "source_id": 1}]},
        {"media": [{"package_id": 1, "source_id": 10**30}]},
        {"media": "x"},
        {"baseline": {"objects": {"-1": "x"}, "media": {}}},
        {"baseline": {"objects": {"9" * 5000: "x"}, "media": {}}},
        {"annotator": "x" * 10_000},
        {"annotator": ["alice"]},
        {"version": 2},
    ],
)
def test_manifest_fields_of_the_wrong_kind_are_one_line(source, package, change):
    data = _manifest(package)
    data.update(change)
    _write_manifest(package, data)
    refused(source, package, "manifest")


@pytest.mark.parametrize("field", ["annotator", "package_id", "created_at"])
def test_manifest_text_with_control_characters_is_refused(source, package, field, capsys):
    """The annotator names conflict copies and every report line: a newline or a terminal
    escape would forge lines of the report, or put them into object names."""
    data = _manifest(package)
    data[field] = "ali\nce\x1b[2J"
    _write_manifest(package, data)
    refused(source, package, "manifest")


# -- the database as a file ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b"this is not a database at all" * 100,
        lambda b: b[: len(b) // 2],
        lambda b: b[:100],
        lambda b: b"",
    ],
    ids=["not-sqlite", "truncated", "header-only", "empty"],
)
def test_a_database_that_is_not_a_project_is_one_line(source, package, damage):
    db = package / DB_NAME
    craft(package, "PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    db.write_bytes(damage(db.read_bytes()))
    refused(source, package)


@pytest.mark.parametrize("version", [1, 999])
def test_a_database_of_another_schema_version_is_one_line(source, package, version):
    craft(package, f"PRAGMA user_version = {version}")
    refused(source, package)


def test_the_package_database_is_never_written_and_its_triggers_never_run(source, package):
    """Triggers in a crafted package could write into it (or, attached, into the source)."""
    craft(
        package,
        "CREATE TABLE loot (x TEXT);"
        "CREATE TRIGGER t1 AFTER INSERT ON objects BEGIN INSERT INTO loot VALUES ('o'); END;"
        "CREATE TRIGGER t2 AFTER UPDATE ON media BEGIN INSERT INTO loot VALUES ('m'); END;"
        "CREATE TRIGGER t3 AFTER INSERT ON masks BEGIN DELETE FROM masks; END;",
    )
    craft(package, "PRAGMA wal_checkpoint(TRUNCATE)")
    before = digest(package)
    merged_or_refused(source, package)
    assert digest(package) == before
    conn = sqlite3.connect(package / DB_NAME)
    assert conn.execute("SELECT count(*) FROM loot").fetchone()[0] == 0
    conn.close()
    # the source got no trigger, view or table from the package
    kinds = source.db.conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', 'view') OR name = 'loot'"
    ).fetchone()[0]
    assert kinds == 0


def test_a_view_in_place_of_a_table_is_refused(source, package):
    """A view named like a table decides what the merge reads: here, objects that never end
    (a recursive query) would hang the merge, and any view could make rows up."""
    craft(
        package,
        "ALTER TABLE objects RENAME TO objects_real;"
        "CREATE VIEW objects AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
        " SELECT i AS id, 1 AS media_id, NULL AS label_id, 'x' || i AS name, '' AS created_at,"
        " 'normal' AS state, NULL AS author, 0 AS clicks, 0 AS corrections FROM n;",
    )
    _refused_in_a_process(source, package)


def test_a_view_making_huge_values_is_refused(source, package):
    craft(
        package,
        "ALTER TABLE effort RENAME TO effort_real;"
        "CREATE VIEW effort AS SELECT 1 AS media_id, hex(zeroblob(400000000)) AS author,"
        " 1.0 AS active_s, 1 AS events, '' AS updated_at;",
    )
    _refused_in_a_process(source, package)


def _refused_in_a_process(source, package: Path) -> None:
    """Through the command line in its own process, so a hang fails the test, not the suite."""
    root = source.root
    before = snapshot(source)
    source.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "videoseg_desktop.cli.main", "merge", str(root), str(package)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the merge hung on a crafted package")
    assert time.perf_counter() - start < 60
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("videoseg: error:"), done.stderr
    with Project.open(root) as again:
        assert snapshot(again) == before


# -- rows -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE objects SET state = 'owned'",
        "UPDATE objects SET clicks = 'many'",
        "UPDATE objects SET name = x'00ff00' WHERE id = (SELECT max(id) FROM objects)",
        "UPDATE objects SET created_at = zeroblob(4)",
        "UPDATE masks SET counts = 'garbage that does not decode'",
        "UPDATE masks SET counts = x'deadbeef'",
        "UPDATE masks SET frame = -5",
        "UPDATE masks SET frame = 9223372036854775807",
        "UPDATE masks SET height = 48, width = 64",  # runs that decode, to another size
        "UPDATE masks SET source = 'injected'",
        "UPDATE masks SET score = 'high'",
        "UPDATE masks SET area = -1",
        "UPDATE masks SET author = zeroblob(10)",
        "UPDATE masks SET author = hex(zeroblob(5000000))",
        "UPDATE objects SET name = 'car' || char(27) || '[2J' WHERE id = (SELECT max(id) FROM objects)",
        "UPDATE prompts SET kind = 'lasso'",
        "UPDATE prompts SET x0 = 'left'",
        "UPDATE prompts SET frame = -1",
        "INSERT INTO review_decisions (media_id, object_name, decision, masks, created_at)"
        " VALUES (1, 'car 1' || char(10) || 'forged', 'accept', 0, 'now')",
    ],
)
def test_a_row_of_the_wrong_kind_is_refused_before_it_reaches_the_source(
    source, package, statement
):
    craft(package, statement)
    refused(source, package)
    readable(source)


def test_a_huge_name_or_author_is_refused_or_cut(source, package):
    craft(
        package,
        "UPDATE objects SET name = ?, author = ? WHERE id = (SELECT max(id) FROM objects)",
        params=("n" * 2_000_000, "a" * 10),
    )
    merged_or_refused(source, package)
    for item in source.media.list():
        for obj in source.objects.list(item.id):
            assert len(obj.name) <= 200


def test_a_label_name_over_the_limits_is_refused(source, package):
    craft(package, "INSERT INTO labels (name, color, sort_order) VALUES (?, '#fff', 9)",
          params=("L" * 10_000,))  # fmt: skip
    refused(source, package, "label")


def test_an_attribute_of_a_label_the_package_does_not_have_is_one_line(source, package):
    now = "2026-01-01T00:00:00+00:00"
    craft(
        package,
        "INSERT INTO attribute_specs (id, label_id, name, kind, sort_order, created_at)"
        f" VALUES (50, 999, 'color', 'text', 0, '{now}');"
        "INSERT INTO attribute_values (object_id, spec_id, value, updated_at)"
        f" SELECT id, 50, 'red', '{now}' FROM objects;"
        "INSERT INTO attribute_values (object_id, spec_id, value, updated_at)"
        f" SELECT id, 777, 'red', '{now}' FROM objects;",
    )
    refused(source, package)


def test_an_attribute_spec_of_an_unknown_kind_is_one_line(source, package):
    now = "2026-01-01T00:00:00+00:00"
    craft(
        package,
        "INSERT INTO attribute_specs (id, label_id, name, kind, sort_order, created_at)"
        f" VALUES (50, 1, 'color', 'text', 0, '{now}');"
        "INSERT INTO attribute_values (object_id, spec_id, value, updated_at)"
        f" SELECT id, 50, 'red', '{now}' FROM objects;"
        "PRAGMA writable_schema = ON;"
        "UPDATE attribute_specs SET kind = 'code', choices = '[' || zeroblob(10);",
    )
    refused(source, package)


def test_decisions_with_frames_of_the_wrong_type_are_one_line(source, package):
    """A decision opposite to one made here compares frames: text against a number."""
    obj = source.objects.list(1)[0]
    source.db.conn.execute(
        "INSERT INTO review_decisions (media_id, object_id, object_name, frame_start,"
        " frame_end, decision, masks, author, created_at) VALUES (1, ?, ?, 0, 3, 'reject', 1,"
        " 'lead', '2026-01-01')",
        (obj.id, obj.name),
    )
    craft(
        package,
        "INSERT INTO review_decisions (media_id, object_id, object_name, frame_start, frame_end,"
        " decision, masks, author, created_at) SELECT 1, id, name, 'zero', x'00', 'accept',"
        " 'all', 'mallory', 'now' FROM objects",
    )
    refused(source, package)


def test_effort_of_the_wrong_type_is_refused(source, package):
    craft(
        package,
        "INSERT OR REPLACE INTO effort (media_id, author, active_s, events, updated_at)"
        " VALUES (1, 'alice', 'forever', -3, 'x')",
    )
    refused(source, package)


def test_duplicate_ids_and_missing_constraints_do_not_harm_the_source(source, package):
    """A table rebuilt without its keys: two objects with one id, two labels with one name."""
    craft(
        package,
        "CREATE TABLE o2 AS SELECT * FROM objects; DROP TABLE objects;"
        "ALTER TABLE o2 RENAME TO objects;"
        "INSERT INTO objects SELECT * FROM objects;"
        "CREATE TABLE l2 AS SELECT * FROM labels; DROP TABLE labels;"
        "ALTER TABLE l2 RENAME TO labels; INSERT INTO labels SELECT * FROM labels;",
    )
    merged_or_refused(source, package)


# -- media files ----------------------------------------------------------------------------------
def _media_row(folder: Path, path: str, size: int, sha: str = "f" * 64, linked: int = 0) -> None:
    craft(
        folder,
        "INSERT INTO media (kind, path, original_name, byte_size, sha256, width, height,"
        " frame_count, imported_at, linked) VALUES ('image', ?, 'evil.png', ?, ?, 32, 24, 1,"
        " '2026-01-01', ?)",
        params=(path, size, sha, linked),
    )


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret" / "key.png"
    path.parent.mkdir()
    return png(path, 7)


@pytest.mark.parametrize(
    "path",
    ["media/../../secret/key.png", "{secret}", "media\\..\\..\\secret\\key.png", "C:/key.png",
     "media/./key.png", "media", "media/"],
)  # fmt: skip
def test_a_media_row_whose_path_leaves_the_package_is_refused_per_item(
    source, package, secret, path
):
    _media_row(package, path.format(secret=secret), secret.stat().st_size)
    _one_media_refused(source, package)


def test_a_linked_media_row_is_refused_per_item(source, package, secret):
    _media_row(package, str(secret), secret.stat().st_size, linked=1)
    _one_media_refused(source, package)


def test_a_symbolic_link_out_of_media_is_refused_per_item(source, package, secret):
    (package / "media" / "key.png").symlink_to(secret)
    _media_row(package, "media/key.png", secret.stat().st_size)
    _one_media_refused(source, package)


def test_a_symbolic_link_to_a_device_is_refused_per_item(source, package):
    (package / "media" / "dev.png").symlink_to("/dev/zero")
    _media_row(package, "media/dev.png", 0)
    _one_media_refused(source, package)


def test_a_fifo_in_media_does_not_hang_the_merge(source, package):
    os.mkfifo(package / "media" / "pipe.png")
    _media_row(package, "media/pipe.png", 0)
    _one_media_refused(source, package)


def test_a_media_folder_that_is_a_link_is_refused_per_item(source, package, secret):
    (package / "media").rename(package / "media-real")
    (package / "media").symlink_to(secret.parent, target_is_directory=True)
    _media_row(package, "media/key.png", secret.stat().st_size)
    _one_media_refused(source, package)


def test_a_decompression_bomb_is_refused_per_item(source, package):
    path = package / "media" / "bomb.png"
    png(path, 0)  # then its header claims 60,000 x 60,000 pixels (3.6 gigapixels)
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", 60_000, 60_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    _media_row(package, "media/bomb.png", path.stat().st_size)
    _one_media_refused(source, package)


def _one_media_refused(source, package: Path) -> None:
    files = sorted(p.name for p in source.media_dir.iterdir())
    start = time.perf_counter()
    report = merge_package(source, package)
    assert time.perf_counter() - start < SECONDS
    assert len(report.media_refused) == 1 and report.media_added == 0, report.media_refused
    assert "\n" not in report.media_refused[0]
    assert sorted(p.name for p in source.media_dir.iterdir()) == files
    assert source.media.count() == 2
    readable(source)


# -- the command line -----------------------------------------------------------------------------
def test_the_command_line_reports_one_line_and_merges_the_other_packages(
    source, package, tmp_path, capsys
):
    bob = package.parent / "Streets-bob"
    craft(package, "UPDATE objects SET state = 'x'")
    with Project.open(bob, user="bob") as pkg:
        pkg.masks.put(pkg.objects.list(2)[0].id, 0, rle(12), MaskSource.EDITED)
    root = source.root
    source.close()
    code = main(["merge", str(root), str(package), str(bob)])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and err.startswith("videoseg: error:"), err
    assert "bob" in out  # the good package merged all the same
    with Project.open(root) as again:
        assert again.masks.get(again.objects.list(2)[0].id, 0).author == "bob"


def test_many_new_objects_merge_in_bounded_time(source, package):
    """Names are made free per media item: that must not read every name per object."""
    craft(
        package,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
        " INSERT INTO objects (media_id, label_id, name, created_at, state, clicks, corrections)"
        " SELECT 1, 1, 'crowd ' || i, '2026-01-01', 'normal', 0, 0 FROM n;",
    )
    start = time.perf_counter()
    report = merge_package(source, package)
    assert report.added == 20_001
    assert time.perf_counter() - start < 20


def test_many_new_labels_merge_in_bounded_time(source, package):
    craft(
        package,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
        " INSERT INTO labels (name, color, sort_order) SELECT 'label ' || i, 'x', i FROM n;",
    )
    start = time.perf_counter()
    merge_package(source, package)
    assert time.perf_counter() - start < 20
    assert len(source.labels.list()) == 20_001


def test_a_label_named_like_one_of_ours_with_spaces_maps_to_ours(source, package):
    craft(package, "UPDATE labels SET name = '  car '")
    report = merge_package(source, package)
    assert report.changed and [lb.name for lb in source.labels.list()] == ["car"]


@pytest.mark.parametrize("value", ["{}", "[]", '""', "0.5"])
def test_a_manifest_dense_with_values_is_refused_before_it_is_parsed(source, package, value):
    """4 MB of '{},' would be 90 MB of dicts (128 MiB of it, 3 GB): refused by its text."""
    data = _manifest(package)
    text = json.dumps(data)[:-1] + ', "x": [' + ",".join([value] * 1_000_000) + "]}"
    (package / MANIFEST_NAME).write_text(text)
    refused(source, package, "far more values")


def test_an_object_named_after_a_label_of_the_longest_name_merges(source, package):
    """The control for the name checks: what the app itself writes is never refused."""
    with Project.open(package, user="alice") as pkg:
        label = pkg.labels.add("L" * 100)
        made = pkg.objects.add(1, label.id)
        assert len(made.name) == 102
        pkg.masks.put(made.id, 0, rle(3), MaskSource.CLICKED, "tiny")
    report = merge_package(source, package)
    assert report.added == 2
    readable(source)


@pytest.mark.parametrize("frames", ["NULL, 5", "5, 2", "-1, 3", "0, 9223372036854775807"])
def test_attribute_frames_that_do_not_fit_are_refused(source, package, frames):
    now = "2026-01-01T00:00:00+00:00"
    craft(
        package,
        "INSERT INTO attribute_specs (id, label_id, name, kind, per_frame, sort_order,"
        f" created_at) VALUES (50, 1, 'occluded', 'bool', 1, 0, '{now}');"
        "INSERT INTO attribute_values (object_id, spec_id, frame_start, frame_end, value,"
        f" updated_at) SELECT max(id), 50, {frames}, 'true', '{now}' FROM objects;",
    )
    refused(source, package, "frame")


def test_an_attribute_value_is_checked_against_the_projects_attribute(source, package):
    """The package made 'color' a number; here it is text: 3 is not written under it."""
    source.attributes.add_spec(source.labels.get("car").id, "color", "text")
    now = "2026-01-01T00:00:00+00:00"
    craft(
        package,
        "INSERT INTO attribute_specs (id, label_id, name, kind, sort_order, created_at)"
        f" VALUES (50, 1, 'color', 'number', 0, '{now}');"
        "INSERT INTO attribute_values (object_id, spec_id, value, updated_at)"
        f" SELECT max(id), 50, '3', '{now}' FROM objects;",
    )
    refused(source, package, "color")


def test_files_copied_in_are_removed_when_the_package_is_refused(source, package, tmp_path):
    """The new image is imported (copied into media/) before its object's crafted mask is
    read: the refusal must take the copy and anything made for it away again."""
    with Project.open(package, user="alice") as pkg:
        item = pkg.import_media([png(tmp_path / "alley.png", 222)]).added[0]
        obj = pkg.objects.add(item.id, pkg.labels.get("car").id)
        pkg.masks.put(obj.id, 0, rle(3), MaskSource.CLICKED, "tiny")
    craft(package, f"UPDATE masks SET counts = 'broken' WHERE object_id = {obj.id}")
    refused(source, package, "masks")


def test_a_media_item_deleted_in_the_package_does_not_break_the_merge(source, package):
    """An annotator may remove an item handed out: its objects count as deleted there, the
    item itself stays here."""
    craft(package, "PRAGMA foreign_keys = ON; DELETE FROM media WHERE id = 1")
    before = {o.name for o in source.objects.list(1)}
    report = merge_package(source, package)
    assert source.media.get(1) is not None
    assert {o.name for o in source.objects.list(1)} == before  # nothing of the lead's lost
    assert not report.conflicts, report.conflicts
    readable(source)


def test_many_decisions_merge_in_bounded_time(source, package):
    """Each decision of the package is compared with the project's since the split: by
    object and kind, not with every one of them."""
    source.db.conn.executemany(
        "INSERT INTO review_decisions (media_id, object_name, frame_start, frame_end, decision,"
        " masks, author, created_at) VALUES (1, ?, 0, 0, 'reject', 1, 'lead', '2026-01-01')",
        [(f"other {i}",) for i in range(10_000)],
    )
    craft(
        package,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
        " INSERT INTO review_decisions (media_id, object_name, frame_start, frame_end, decision,"
        " masks, author, created_at) SELECT 1, 'thing ' || i, 0, 0, 'accept', 1, 'alice',"
        " '2026-01-02' FROM n;",
    )
    start = time.perf_counter()
    assert merge_package(source, package).decisions == 20_000
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    "rebuild",
    [
        "CREATE TABLE m2 AS SELECT * FROM masks; DROP TABLE masks; ALTER TABLE m2 RENAME TO masks;",
        "DROP INDEX objects_by_media;",
        "CREATE INDEX extra ON objects(name);",
        "ANALYZE; UPDATE sqlite_stat1 SET stat = '1000000 1000000';",
    ],
)
def test_tables_rebuilt_without_their_keys_or_indexes_are_refused(source, package, rebuild):
    """Without keys or indexes every lookup of the merge is a scan: refused, not slow."""
    craft(package, rebuild)
    refused(source, package, "statistics" if "ANALYZE" in rebuild else "tables differ")
