"""SAM 3 "Find all" in the window: suggestions stored by the worker's answer, filtered live by
the threshold, accepted and rejected with the keyboard, one undo step per batch."""

from __future__ import annotations

from PySide6.QtCore import Qt

from videoseg_desktop.core.records import MaskSource, ObjectState
from videoseg_desktop.ui.editing.edit_prompts import click_mask_prompt

FIND_TIMEOUT_MS = 120_000  # the tiny SAM 3 loads in the worker on the first search


def _suggested(driver):
    return [o for o in driver.objects() if o.state == ObjectState.SUGGESTED]


def _find(driver) -> None:
    studio = driver.window.prelabel
    studio.model = "tiny3"
    driver.key(Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert studio._waiting, "Ctrl+F submits a search"
    driver.qtbot.waitUntil(lambda: not studio._waiting, timeout=FIND_TIMEOUT_MS)
    driver.activate()


def test_find_all_suggests_filters_live_and_is_decided_by_keyboard(driver, sam3_models_dir):
    studio, panel, session = driver.window.prelabel, driver.window.prelabel.panel, driver.session
    assert panel.text.text() == "car"  # the current label's name
    panel.slider.setValue(5)
    _find(driver)
    found = _suggested(driver)
    assert found, driver.window.last_error
    car = driver.project.labels.get("car").id
    for obj in found:
        record = driver.project.masks.get(obj.id, 0)
        assert obj.label_id == car and record.source == MaskSource.AUTO and record.score > 0
    assert panel.list.count() == len(found)
    # suggestions are drawn fainter with a dashed outline until accepted
    assert all(driver.canvas.overlays[o.id].suggested for o in found)

    # the slider filters without a new search: the objects stay, the low ones are hidden
    scores = sorted(driver.project.masks.get(o.id, 0).score for o in found)
    cut = scores[len(scores) // 2]
    panel.slider.setValue(round(cut * 100 + 0.5))
    shown = studio.shown_ids()
    assert session.filtered == {o.id for o in found} - set(shown)
    assert panel.list.count() == len(shown) and not studio._waiting
    for object_id in session.filtered:
        assert not driver.canvas.overlays[object_id].isVisible()
    panel.slider.setValue(5)
    assert session.filtered == set() and panel.list.count() == len(found)

    # A accepts the selected one, R rejects the next; each is one undo step
    stack = session.undo_stack
    first = panel.selected()
    driver.key(Qt.Key.Key_A)
    assert driver.project.objects.get(first).state == ObjectState.NORMAL
    assert not driver.canvas.overlays[first].suggested
    if len(found) > 1:
        second = panel.selected()
        assert second != first
        driver.key(Qt.Key.Key_R)
        assert second not in {o.id for o in driver.objects()}
        stack.undo()
        assert driver.project.objects.get(second).state == ObjectState.SUGGESTED
    stack.undo()
    assert driver.project.objects.get(first).state == ObjectState.SUGGESTED

    # Ctrl+Shift+A accepts every shown suggestion in one step
    before = stack.index()
    driver.key(
        Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
    )
    assert stack.index() == before + 1 and _suggested(driver) == []
    # a click on an accepted one refines its auto mask (the mask goes in as SAM 2.1's prompt)
    prompt = click_mask_prompt(driver.project, found[0].id, 0)
    assert prompt is not None and prompt.sum() == driver.project.masks.get(found[0].id, 0).area
    stack.undo()
    assert len(_suggested(driver)) == len(found)


def test_alt_drag_draws_example_boxes_not_prompts(driver):
    panel = driver.window.prelabel.panel
    driver.drag(100, 100, 300, 260, modifiers=Qt.KeyboardModifier.AltModifier)
    mods = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
    driver.drag(400, 120, 500, 300, modifiers=mods)
    assert driver.objects() == []  # no object, no box prompt
    examples = driver.window.prelabel.examples
    assert [e.positive for e in examples] == [True, False]
    assert "1 like this, 1 not this" in panel.examples.text()
    # drawn on the canvas where they were dragged, green "like this" then red "not this"
    items = driver.canvas.exemplar_items
    assert [i.positive for i in items] == [True, False]
    for item, example in zip(items, examples, strict=True):
        rect, box = item.rect(), example.box
        assert (rect.left(), rect.top(), rect.right(), rect.bottom()) == (
            box.x0,
            box.y0,
            box.x1,
            box.y1,
        )
        assert item.scene() is driver.canvas.scene()
    panel.clear_examples.click()
    assert driver.window.prelabel.examples == []
    assert driver.canvas.exemplar_items == []
