"""File > Team in the window: split in the background, merge, and the summary dialog."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.helpers.windows import shown_window
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.store import Project
from videoseg_desktop.ui.team.team_dialogs import SplitDialog


def _rle(x: int):
    mask = np.zeros((30, 40), bool)
    mask[5:15, x : x + 8] = True
    return encode_rle(mask)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "lead")
    files = []
    for i in range(3):
        files.append(tmp_path / f"shot{i}.png")
        Image.fromarray(np.full((30, 40, 3), 60 * i, np.uint8)).save(files[-1])
    with Project.create(tmp_path / "proj", name="Harbour") as p:
        p.import_media(files)
        boat = p.labels.add("boat")
        for media in p.media.list():
            p.masks.put(p.objects.add(media.id, boat.id).id, 0, _rle(2), MaskSource.CLICKED)
    return tmp_path / "proj"


@pytest.fixture
def window(qtbot, client, root):
    window = shown_window(qtbot, client)
    assert window.open_project(root)
    yield window
    window.close()


def test_team_menu_sits_in_the_file_menu_and_follows_the_project(window, qtbot, root):
    titles = [a.text() for a in window.actions.file_menu.actions()]
    assert "&Team" in titles and titles.index("&Team") == titles.index("&Export…") + 1
    team = window.team
    assert [a.text() for a in team.menu.actions()] == [
        "&Split into packages…",
        "&Merge packages…",
    ]
    assert team.split_action.isEnabled() and team.merge_action.isEnabled()
    window.close_project()
    assert not team.menu.menuAction().isEnabled()
    assert window.open_project(root, read_only=True)
    assert not team.split_action.isEnabled() and not team.merge_action.isEnabled()


def test_split_and_merge_in_the_background_with_a_summary(window, qtbot, tmp_path):
    team = window.team
    dialog = SplitDialog("Harbour", tmp_path / "packages")
    dialog.names.setText("ann, bo")
    assert team.split(dialog)
    qtbot.waitUntil(lambda: not team.busy, timeout=20000)
    assert window.last_error == ""
    ann, bo = tmp_path / "packages" / "Harbour-ann", tmp_path / "packages" / "Harbour-bo"
    assert ann.is_dir() and bo.is_dir()
    assert "Wrote 2 work packages (ann, bo)" in window.statusBar().currentMessage()
    with Project.open(ann, user="ann") as pkg:
        pkg.masks.put(pkg.objects.list(1)[0].id, 0, _rle(20), MaskSource.EDITED)
    with Project.open(bo, user="bo") as pkg:
        pkg.masks.put(pkg.objects.list(3)[0].id, 0, _rle(25), MaskSource.EDITED)
        Image.fromarray(np.full((30, 40, 3), 200, np.uint8)).save(tmp_path / "pier.png")
        pier = pkg.import_media([tmp_path / "pier.png"]).added[0]
        pkg.masks.put(pkg.objects.add(pier.id).id, 0, _rle(4), MaskSource.CLICKED)
        pkg.review.accept(pier.id)  # an accept and a "reviewed": two decisions
    project = window.session.project
    project.masks.put(project.objects.list(1)[0].id, 0, _rle(10), MaskSource.EDITED)

    shown = []
    team.mergeSummaryShown.connect(shown.append)
    assert team.merge([ann, bo, tmp_path / "nowhere"])
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    summary = shown[0]
    assert (
        "2 packages merged: 2 items taken over, 1 conflict, 1 media item added, "
        "2 review decisions recorded; 1 package refused"
    ) in summary.headline.text()
    rows = [
        [summary.packages.item(r, c).text() for c in range(8)]
        for r in range(summary.packages.rowCount())
    ]
    assert rows[0][:7] == ["Harbour-ann", "ann", "0", "0", "0", "0", "1"]
    assert rows[1][:7] == ["Harbour-bo", "bo", "2", "1", "1", "2", "0"]
    assert rows[2][7].startswith("refused: ") and "not a work package" in rows[2][7]
    conflict = [summary.conflicts.item(0, c).text() for c in range(4)]
    assert conflict == [
        "Harbour-ann",
        "shot0.png",
        "boat 1",
        "changed in the project and in the package",
    ]
    states = {o.name: o.state for o in project.objects.list(1)}
    assert states == {"boat 1": ObjectState.CONFLICT, "boat 1 (ann)": ObjectState.CONFLICT}
    assert project.masks.get(project.objects.list(3)[0].id, 0).author == "bo"
    pier = project.media.find_by_name("pier.png")[0]  # copied in, with bo's work on it
    assert project.media_path(pier).is_file() and pier.status.value == "reviewed"
    assert project.masks.get(project.objects.list(pier.id)[0].id, 0).accepted_by == "bo"
    assert not window.session.undo_stack.canUndo()  # the merge replaced rows undo refers to
    summary.close()
