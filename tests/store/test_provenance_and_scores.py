"""Schema v3: scores, auto masks, suggested objects and authors, kept through undo helpers."""

import numpy as np
import pytest
from PIL import Image

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.masks import encode_rle
from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.store import Project


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOSEG_USER", "alice")
    project = Project.create(tmp_path / "p")
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(image)
    project.import_media([image])
    yield project
    project.close()


def _rle():
    mask = np.zeros((6, 8), bool)
    mask[1:4, 2:5] = True
    return encode_rle(mask)


def test_author_defaults_to_videoseg_user_and_is_recorded_on_every_row(project):
    media = project.media.list()[0]
    obj = project.objects.add(media.id)
    prompt = project.prompts.add(obj.id, 0, "point", (3, 2))
    mask = project.masks.put(obj.id, 0, _rle(), MaskSource.CLICKED, "tiny", score=0.75)
    assert project.user == "alice"
    assert obj.author == prompt.author == mask.author == "alice"
    assert prompt.created_at and mask.score == 0.75


def test_auto_masks_and_suggested_objects_round_trip_through_restore(project):
    media = project.media.list()[0]
    obj = project.objects.add(media.id, state=ObjectState.SUGGESTED)
    project.masks.put(obj.id, 0, _rle(), MaskSource.AUTO, "sam3", score=0.5)
    kept_mask, kept_obj = project.masks.get(obj.id, 0), project.objects.get(obj.id)
    project.objects.delete(obj.id)
    project.objects.restore(kept_obj)
    project.masks.restore([kept_mask])
    assert project.objects.get(obj.id) == kept_obj
    assert project.masks.get(obj.id, 0) == kept_mask
    assert project.objects.set_state(obj.id, "normal").state is ObjectState.NORMAL


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_a_score_outside_zero_to_one_is_refused_and_nothing_is_written(project, bad):
    media = project.media.list()[0]
    obj = project.objects.add(media.id)
    with pytest.raises(VideoSegError, match="score"):
        project.masks.put(obj.id, 0, _rle(), MaskSource.AUTO, "sam3", score=bad)
    assert project.masks.get(obj.id, 0) is None


@pytest.mark.parametrize("bad", ["", "x" * 65, "bob\x1b[2J"])
def test_user_names_are_short_and_printable(tmp_path, bad):
    with pytest.raises(VideoSegError, match="user name"):
        Project.create(tmp_path / "q", user=bad)
