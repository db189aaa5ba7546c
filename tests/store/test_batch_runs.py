"""The batch_runs table: what a resumed `track --all` skips, read back as untrusted data."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.core.errors import ProjectError
from videoseg_desktop.store import Project


@pytest.fixture
def project(tmp_path):
    project = Project.create(tmp_path / "p", user="alice")
    path = tmp_path / "im.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    project.import_media([path])
    yield project
    project.close()


def test_a_finished_run_is_done_only_on_the_same_inputs(project):
    runs = project.batch_runs
    assert runs.get(1, "track", "m@256") is None and not runs.is_done(1, "track", "m@256", "a")
    runs.finish(1, "track", "m@256", "a", 12)
    run = runs.get(1, "track", "m@256")
    assert (run.inputs, run.stored, run.author) == ("a", 12, "alice") and run.finished_at
    assert runs.is_done(1, "track", "m@256", "a")
    assert not runs.is_done(1, "track", "m@256", "b")  # inputs changed: redo
    assert not runs.is_done(1, "track", "other@256", "a")  # another model
    runs.finish(1, "track", "m@256", "b", 3)  # redone: replaced, not added
    assert [(r.inputs, r.stored) for r in runs.list("track")] == [("b", 3)]
    assert runs.list("boxes-to-masks") == []


def test_a_run_rolls_back_with_the_transaction_it_joins(project):
    with pytest.raises(RuntimeError), project.transaction():
        project.batch_runs.finish(1, "track", "m@256", "a", 1)
        raise RuntimeError("the batch's masks failed to store")
    assert project.batch_runs.get(1, "track", "m@256") is None


@pytest.mark.parametrize(
    ("column", "value"), [("stored", -1), ("inputs", "x" * 5000), ("stored", "many")]
)
def test_a_crafted_record_is_one_project_error(project, column, value):
    project.batch_runs.finish(1, "track", "m@256", "a", 1)
    project.db.conn.execute(f"UPDATE batch_runs SET {column} = ?", (value,))
    with pytest.raises(ProjectError, match="batch run record"):
        project.batch_runs.get(1, "track", "m@256")
