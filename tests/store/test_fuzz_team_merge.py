"""Fuzzing `merge`: any value an attacker writes into any column of a work package's tables
either merges or is refused with one VideoSegError line; never another exception, and the
source stays whole (SQLite's integrity and foreign-key checks, `videoseg check`, the store's
readers; unchanged when refused).

The short "ci" profile runs with every test run; VIDEOSEG_FUZZ=long runs the long one.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from PIL import Image

from tests.helpers.team import H, W, edit_and_add, rle
from tests.store.test_team_attacks import readable, snapshot
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import MaskSource, MediaStatus
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.integrity import check_project
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_split import split_project

SECONDS = 20


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, Path]:
    """A source project and a package of it with a row in every table the merge reads: a
    changed mask, a new object with a prompt and an attribute value, a decision, a status,
    effort, and a media item imported in the package."""
    folder = tmp_path_factory.mktemp("team-template")
    pics = []
    for i in range(3):
        Image.fromarray(np.full((H, W, 3), 30 + 60 * i, np.uint8)).save(folder / f"p{i}.png")
        pics.append(folder / f"p{i}.png")
    with Project.create(folder / "src", name="Streets", user="lead") as source:
        source.import_media(pics[:2])
        car = source.labels.add("car")
        source.attributes.add_spec(car.id, "color", "text")
        for media in source.media.list():
            obj = source.objects.add(media.id, car.id)
            source.masks.put(obj.id, 0, rle(2), MaskSource.CLICKED, "tiny", score=0.9)
        package = split_project(source, folder / "out", ["alice"])[0].folder
    with Project.open(package, user="alice") as pkg:
        car, first, new = edit_and_add(pkg, new_on_media=2)
        pkg.attributes.set_value(new.id, pkg.attributes.spec(car, "color"), "red")
        pkg.review.accept(1, first.id)
        pkg.review.set_status([2], MediaStatus.DONE)
        pkg.effort.add(1, 12.5, 3)
        run = pkg.prelabels.start(1, "text:car", "sam3")
        pkg.prelabels.update(run.id, frames=1, found=2, done=True)
        added = pkg.import_media([pics[2]]).added[0]
        other = pkg.objects.add(added.id, car)
        pkg.masks.put(other.id, 0, rle(4), MaskSource.CLICKED, "tiny")
    return folder / "src", package


COLUMNS = {
    "objects": ["label_id", "name", "state", "author", "clicks", "corrections", "created_at",
                "media_id", "id"],
    "masks": ["frame", "height", "width", "counts", "area", "bbox_x", "source", "model", "score",
              "author", "updated_at", "accepted_by", "object_id"],
    "prompts": ["frame", "kind", "x0", "y0", "x1", "positive", "sort_order", "object_id"],
    "labels": ["name", "color", "id"],
    "media": ["status", "status_comment", "path", "linked", "byte_size", "sha256",
              "original_name", "id", "width", "frame_count"],
    "review_decisions": ["object_id", "object_name", "frame_start", "frame_end", "decision",
                         "comment", "masks", "author", "created_at", "media_id"],
    "effort": ["author", "active_s", "events", "updated_at", "media_id"],
    "prelabel_runs": ["concept", "model", "state", "frames_done", "found", "author",
                      "started_at", "finished_at", "media_id"],
    "attribute_specs": ["name", "kind", "choices", "min_value", "label_id", "per_frame"],
    "attribute_values": ["value", "frame_start", "spec_id", "object_id", "author"],
    "settings": ["value"],
}  # fmt: skip
DELETE = "<delete the row>"  # rows removed (an item deleted in the package, or a dangling key)
hostile = st.one_of(
    st.just(DELETE),
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, 2, 3, -1, 10**6]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.sampled_from(
        ["media/../../etc/passwd", "/etc/passwd", "media/p2.png", "conflict", "done", "box",
         "edited", "accept", "reject", "[1,[2]]", "[" * 5000, '"red"', "x" * 100_000, "#FFF",
         "0R0", "00000", "\x1b[2J\n", "car", "color"]
    ),
)  # fmt: skip


def _copy(template: tuple[Path, Path], base: Path) -> tuple[Path, Path]:
    case = base / f"case-{time.perf_counter_ns()}"
    source = shutil.copytree(template[0], case / "src")
    package = shutil.copytree(template[1], case / "out" / template[1].name, symlinks=True)
    return source, package


@given(
    edits=st.lists(
        st.tuples(st.sampled_from(sorted(COLUMNS)), st.integers(0, 20), st.integers(0, 3), hostile),
        min_size=1,
        max_size=4,
    )
)
@example(edits=[("masks", 0, 0, -1)])
@example(edits=[("media", 0, 0, DELETE)])  # a TypeError out of the merge (found by hand)
@example(edits=[("review_decisions", 2, 0, "zero")])
@example(edits=[("attribute_values", 2, 0, 99)])
@example(edits=[("attribute_specs", 20, 0, "[" * 5000)])  # RecursionError (found by the fuzz)
@example(edits=[("attribute_values", 0, 0, "[" * 5000)])
def test_fuzz_crafted_package_rows(template, tmp_path_factory, edits):
    root, package = _copy(template, tmp_path_factory.getbasetemp())
    conn = sqlite3.connect(package / DB_NAME)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA ignore_check_constraints = ON")
        for table, column_pick, row_pick, value in edits:
            column = COLUMNS[table][column_pick % len(COLUMNS[table])]
            where = f"rowid = (SELECT rowid FROM {table} ORDER BY rowid LIMIT 1 OFFSET {row_pick})"
            cast = "CAST(? AS TEXT)" if isinstance(value, bytes) and row_pick % 2 else "?"
            with contextlib.suppress(sqlite3.Error):  # a key of the schema refuses it
                if value == DELETE:
                    conn.execute(f"DELETE FROM {table} WHERE {where}")
                else:
                    conn.execute(f"UPDATE {table} SET {column} = {cast} WHERE {where}", (value,))
        conn.commit()
    finally:
        conn.close()
    with Project.open(root, user="lead") as source:
        before = snapshot(source)
        start = time.perf_counter()
        try:
            merge_package(source, package)
            merged = True
        except VideoSegError as exc:
            assert "\n" not in str(exc).strip()
            assert snapshot(source) == before
            merged = False
        event("merged" if merged else "refused")
        assert time.perf_counter() - start < SECONDS
        conn = source.db.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        readable(source)
    if merged:
        report = check_project(root, hashes=False)
        assert report.ok, [f.problem for f in report.findings]


def test_the_untouched_package_merges_every_kind_of_row(template, tmp_path_factory):
    """The control: without edits every table above has rows the merge takes."""
    root, package = _copy(template, tmp_path_factory.getbasetemp())
    with Project.open(root, user="lead") as source:
        report = merge_package(source, package)
        assert (report.merged, report.added, report.media_added) == (4, 2, 1), report.line()
        assert report.decisions == 1 and not report.conflicts and not report.media_refused
        conn = source.db.conn
        assert conn.execute("SELECT count(*) FROM attribute_values").fetchone()[0] == 1
        assert conn.execute("SELECT active_s FROM effort").fetchone()[0] == 12.5
        assert source.media.get(2).status == MediaStatus.DONE
        readable(source)
    assert check_project(root, hashes=False).ok


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.sampled_from(["1", "-1", "9" * 30, "\n", "alice", "videoseg-team-package"]),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
MANIFEST_PATHS = [
    ("format",), ("version",), ("package_id",), ("annotator",), ("created_at",), ("source",),
    ("source", "id"), ("source", "name"), ("media",), ("media", 0), ("media", 0, "package_id"),
    ("media", 0, "source_id"), ("media", 0, "sha256"), ("baseline",), ("baseline", "objects"),
    ("baseline", "media"), ("baseline", "objects", "1"),
]  # fmt: skip


@given(
    edits=st.lists(st.tuples(st.sampled_from(MANIFEST_PATHS), json_values), min_size=1, max_size=3)
)
def test_fuzz_manifest_fields(template, tmp_path_factory, edits):
    import json

    from videoseg_desktop.store.team_package import MANIFEST_NAME

    root, package = _copy(template, tmp_path_factory.getbasetemp())
    path = package / MANIFEST_NAME
    data = json.loads(path.read_text())
    for keys, value in edits:
        node = data
        with contextlib.suppress(LookupError, TypeError):
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = value
    path.write_text(json.dumps(data))
    with Project.open(root, user="lead") as source:
        before = snapshot(source)
        try:
            merge_package(source, package)
        except VideoSegError as exc:
            assert "\n" not in str(exc).strip()
            assert snapshot(source) == before
        assert source.db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
