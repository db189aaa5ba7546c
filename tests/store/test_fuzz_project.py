"""Fuzzing the project opener and the settings reader: a project.vseg with damaged bytes, or
with any value an attacker can write into any column, opens and reads (and checks, and exports)
to a result or one VideoSegError; never another exception, never a crash.

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
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from tests.helpers.video import moving_square_frames, write_video
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import decode_rle, encode_rle
from videoseg_desktop.export import export_coco
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.store.integrity import check_project

SECONDS = 30


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A small project with every kind of row: media (copied and linked), labels, objects,
    prompts, masks, settings and window state."""
    folder = tmp_path_factory.mktemp("template")
    Image.fromarray(np.full((24, 32, 3), 40, np.uint8)).save(folder / "pic.png")
    Image.fromarray(np.full((24, 32, 3), 90, np.uint8)).save(folder / "linked.png")
    write_video(moving_square_frames(6), folder / "clip.mp4", gop=3)
    root = folder / "proj"
    with Project.create(root, name="template") as p:
        p.import_media([folder / "pic.png", folder / "clip.mp4"])
        p.import_media([folder / "linked.png"], link=True)
        label = p.labels.add("cat").id
        for media_id, frames in ((1, [0]), (2, [0, 3, 5]), (3, [0])):
            obj = p.objects.add(media_id, label)
            p.prompts.add(obj.id, frames[0], "point", (5, 5))
            p.prompts.add(obj.id, frames[0], "box", (1, 1, 20, 20))
            for f in frames:
                size = (24, 32) if media_id != 2 else (240, 320)
                p.masks.put(obj.id, f, encode_rle(np.eye(*size, dtype=bool)), "clicked", score=0.5)
        p.settings.set("default_model", "tiny")
        p.ui_state.set("hidden_objects", "[1]")
    return root


def copy_of(template: Path, tmp_root: Path) -> Path:
    root = tmp_root / f"case-{time.perf_counter_ns()}"
    shutil.copytree(template, root)
    return root


def read_everything(root: Path, read_only: bool) -> None:
    """What the window and the commands do with a project; each step may refuse, none crash."""
    with Project.open(root, read_only=read_only) as p:
        steps = [
            p.summary,
            lambda: p.name,
            lambda: p.settings.all(),
            lambda: [p.settings.get(k) for k in ("default_model", "image_size", "name")],
            lambda: p.media.list("annotated"),
            p.labels.list,
            p.media_guard.flagged,
        ]
        for step in steps:
            with contextlib.suppress(VideoSegError):
                step()
        try:
            items = p.media.list()
        except VideoSegError:
            items = []
        for item in items:
            for step in (
                lambda i=item: p.media_path(i),
                lambda i=item: p.frame_index_path(i),
                lambda i=item: p.media_guard.verify(i),
                lambda i=item: [
                    (p.prompts.list(o.id), [decode_rle(m.rle) for m in p.masks.for_object(o.id)])
                    for o in p.objects.list(i.id)
                ],
                lambda i=item: p.masks.for_frame(i.id, 0),
                lambda i=item: _first_frame(p, i),
                lambda i=item: p.thumbnail_path(i),
            ):
                with contextlib.suppress(VideoSegError):
                    step()
        with contextlib.suppress(VideoSegError):
            export_coco(p, out_dir=root.parent / f"{root.name}-coco", copy_images=True)
    check_project(root)


def _first_frame(project, item):
    with project.open_frames(item) as frames:
        return frames.read(0)


def opens_or_refuses(root: Path) -> None:
    start = time.perf_counter()
    for read_only in (True, False):
        try:
            read_everything(root, read_only)
        except VideoSegError as exc:
            assert "\n" not in str(exc).strip()
    assert time.perf_counter() - start < SECONDS


@given(
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=12),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_fuzz_damaged_database_bytes(template, tmp_path_factory, flips, cut):
    root = copy_of(template, tmp_path_factory.getbasetemp())
    db = root / DB_NAME
    data = bytearray(db.read_bytes())
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    db.write_bytes(bytes(data))
    opens_or_refuses(root)


COLUMNS = {
    "media": ["kind", "path", "original_name", "byte_size", "sha256", "width", "height",
              "frame_count", "fps", "linked", "mtime_ns"],
    "objects": ["media_id", "label_id", "name", "state"],
    "labels": ["name", "color", "sort_order"],
    "prompts": ["frame", "kind", "x0", "y0", "x1", "positive"],
    "masks": ["frame", "height", "width", "counts", "area", "bbox_w", "source", "score"],
    "settings": ["key", "value"],
    "ui_state": ["value"],
}  # fmt: skip
hostile = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.sampled_from(
        ["media/../../etc/passwd", "/etc/passwd", "../x.yaml", "video", "image", "[1,[2]]",
         "[" * 5000, "#FFF", "x" * 100_000, "configs/sam2.1/sam2.1_hiera_t.yaml", "1024"]
    ),
)  # fmt: skip


@given(
    edits=st.lists(
        st.tuples(st.sampled_from(sorted(COLUMNS)), st.integers(0, 20), hostile), max_size=4
    )
)
@example(edits=[("masks", 7, b"")])  # a BLOB score reached the COCO writer (found by CI)
@example(edits=[("masks", 7, 2.5), ("masks", 6, 7)])
def test_fuzz_crafted_rows(template, tmp_path_factory, edits):
    root = copy_of(template, tmp_path_factory.getbasetemp())
    conn = sqlite3.connect(root / DB_NAME)
    try:
        for table, column_pick, value in edits:
            column = COLUMNS[table][column_pick % len(COLUMNS[table])]
            if isinstance(value, bytes) and column in ("counts", "name", "path", "value"):
                statement = f"UPDATE {table} SET {column} = CAST(? AS TEXT)"  # not UTF-8
            else:
                statement = f"UPDATE {table} SET {column} = ?"
            with contextlib.suppress(sqlite3.Error):  # a constraint of the schema refuses it
                conn.execute(statement, (value,))
        conn.commit()
    finally:
        conn.close()
    opens_or_refuses(root)


@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(["default_model", "image_size", "name", "other"]), hostile),
        max_size=4,
    )
)
def test_fuzz_settings_reader(template, tmp_path_factory, pairs):
    root = copy_of(template, tmp_path_factory.getbasetemp())
    conn = sqlite3.connect(root / DB_NAME)
    for key, value in pairs:
        with contextlib.suppress(sqlite3.Error):  # the schema's NOT NULL refuses None: fine
            conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, value))
    conn.commit()
    conn.close()
    with Project.open(root, read_only=True) as p:
        for key in ("default_model", "image_size", "name", "other"):
            try:
                value = p.settings.get(key)
            except VideoSegError:
                value = p.settings.get_or_default(key)
            assert value is None or isinstance(value, str)
        assert isinstance(p.settings.all(), dict) and isinstance(p.name, str)
