"""The label panel, the object list and the model panel act on the store and the session."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_keys_1_to_9_pick_the_label_of_new_objects(driver):
    labels = driver.project.labels.list()
    driver.key(Qt.Key.Key_2)
    assert driver.session.label_id == labels[1].id
    assert driver.window.label_panel.list.currentRow() == 1
    driver.click(200, 200)
    assert driver.objects()[0].label_id == labels[1].id
    driver.key(Qt.Key.Key_9)  # no ninth label: nothing changes
    assert driver.session.label_id == labels[1].id
    driver.key(Qt.Key.Key_1)
    assert driver.session.label_id == labels[0].id
    driver.wait_masks()


def test_label_panel_lists_and_selects_labels(driver):
    panel = driver.window.label_panel
    assert panel.list.count() == 2
    assert panel.list.item(0).text().endswith("car")
    panel.list.setCurrentRow(1)
    assert driver.session.label_id == driver.project.labels.get("animal").id
    panel.add_label("tree")
    assert panel.list.count() == 3
    assert driver.session.label_id == driver.project.labels.get("tree").id  # new label is current


def test_object_list_selects_renames_relabels_hides_and_deletes(driver):
    driver.click(150, 150)
    driver.key(Qt.Key.Key_N)
    driver.click(600, 300)
    driver.wait_masks()
    panel = driver.window.object_panel
    first, second = [o.id for o in driver.objects()]
    assert panel.object_ids() == [first, second]
    panel.list.setCurrentRow(0)
    assert driver.session.object_id == first
    assert panel.list.currentRow() == 0

    panel.rename_selected("front car")
    assert driver.project.objects.get(first).name == "front car"
    assert panel.list.item(0).text().startswith("front car")
    animal = driver.project.labels.get("animal").id
    panel.set_selected_label(animal)
    assert driver.project.objects.get(first).label_id == animal
    overlay = driver.canvas.overlays.get(first)
    if overlay is not None:
        assert overlay.color.name().upper() == "#56B4E9"

    panel.toggle_hidden()
    assert first in driver.session.hidden
    assert panel.list.item(0).checkState() == Qt.CheckState.Unchecked
    if overlay is not None:
        assert not overlay.isVisible()
    assert all(item.object_id != first for item in driver.canvas.prompt_items)
    panel.list.item(0).setCheckState(Qt.CheckState.Checked)  # the tick box shows it again
    assert first not in driver.session.hidden

    panel.delete_selected()
    assert [o.id for o in driver.objects()] == [second]
    assert panel.object_ids() == [second]


def test_selecting_on_the_canvas_updates_the_object_list(driver):
    driver.click(150, 150)
    driver.wait_masks()
    assert driver.window.object_panel.list.currentRow() == 0
    driver.key(Qt.Key.Key_Escape)
    assert driver.window.object_panel.list.currentRow() == -1


def test_model_panel_shows_state_latency_and_reconfigures(driver, model_config):
    panel = driver.window.model_panel
    driver.click(200, 200)
    driver.wait_masks()
    assert "ready" in panel.state_label.text()
    assert panel.latency_label.text().endswith("ms") or "ms" in panel.latency_label.text()
    assert panel.size_combo.currentData() == 256
    assert panel.device_combo.currentData() == "cpu"
    assert "Model:" in driver.window.model_label.text()
    assert driver.window.device_label.text() == "Device: cpu"
    # Choosing another input size reconfigures the worker (the model reloads on next use).
    index = panel.size_combo.findData(512)
    panel.size_combo.setCurrentIndex(index)
    panel._on_user_change(index)
    assert driver.window.client.config.image_size == 512
    assert driver.window.client.config.checkpoint == model_config.checkpoint
    saved = driver.window.context.preferences.get("model")
    assert saved["image_size"] == 512


def test_model_panel_offers_the_cpu_precisions(driver):
    panel = driver.window.model_panel
    values = [panel.precision_combo.itemData(i) for i in range(panel.precision_combo.count())]
    assert values == ["auto", "fp32", "bf16", "int8"]
    index = panel.precision_combo.findData("int8")
    panel.precision_combo.setCurrentIndex(index)
    panel._on_user_change(index)
    try:
        assert driver.window.client.config.precision == "int8"
        assert driver.window.context.preferences.get("model")["precision"] == "int8"
    finally:
        index = panel.precision_combo.findData("auto")
        panel.precision_combo.setCurrentIndex(index)
        panel._on_user_change(index)
