"""The "Find all" panel: a concept, example boxes, a live score threshold and the suggestions.

A view only: it shows what the studio hands it and emits what the user asks for.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

DEFAULT_THRESHOLD = 0.5


class FindAllPanel(QWidget):
    findRequested = Signal()
    thresholdChanged = Signal(float)
    acceptRequested = Signal()  # the selected suggestion
    rejectRequested = Signal()
    acceptAllRequested = Signal()
    clearExamplesRequested = Signal()
    suggestionSelected = Signal(int)  # object id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setPlaceholderText("what to find, e.g. car")
        self.text.setToolTip("A short phrase; empty: the example boxes alone")
        self.text.returnPressed.connect(self.findRequested)
        self.find_button = QPushButton("Find all")
        self.find_button.setToolTip("Find every instance on this image with SAM 3 (Ctrl+F)")
        self.find_button.clicked.connect(self.findRequested)
        row = QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.find_button)

        self.examples = QLabel()
        self.examples.setWordWrap(True)
        self.clear_examples = QPushButton("Clear")
        self.clear_examples.clicked.connect(self.clearExamplesRequested)
        examples = QHBoxLayout()
        examples.addWidget(self.examples, 1)
        examples.addWidget(self.clear_examples)
        self.set_examples(0, 0)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(5, 100)
        self.slider.setValue(round(DEFAULT_THRESHOLD * 100))
        self.slider.setToolTip("Show suggestions scoring at least this (no re-run)")
        self.threshold_label = QLabel()
        self.slider.valueChanged.connect(self._on_slider)
        threshold = QHBoxLayout()
        threshold.addWidget(QLabel("Score ≥"))
        threshold.addWidget(self.slider, 1)
        threshold.addWidget(self.threshold_label)
        self._on_slider(self.slider.value(), emit=False)

        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._on_current)
        self.count_label = QLabel()
        self.accept_button = QPushButton("Accept (A)")
        self.reject_button = QPushButton("Reject (R)")
        self.accept_all_button = QPushButton("Accept all (Ctrl+Shift+A)")
        self.accept_button.clicked.connect(self.acceptRequested)
        self.reject_button.clicked.connect(self.rejectRequested)
        self.accept_all_button.clicked.connect(self.acceptAllRequested)
        buttons = QHBoxLayout()
        for b in (self.accept_button, self.reject_button, self.accept_all_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(examples)
        layout.addLayout(threshold)
        layout.addWidget(self.count_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.set_suggestions([], 0)

    @property
    def threshold(self) -> float:
        return self.slider.value() / 100.0

    def set_examples(self, positive: int, negative: int) -> None:
        if positive or negative:
            self.examples.setText(f"Examples: {positive} like this, {negative} not this")
        else:
            self.examples.setText("Alt+drag: an example box; Alt+Shift+drag: not this")
        self.clear_examples.setEnabled(bool(positive or negative))

    def set_suggestions(self, shown: list[tuple[int, str, float]], total: int) -> None:
        """(object id, label, score) of the suggestions above the threshold, best first."""
        current = self.selected()
        self.list.blockSignals(True)
        self.list.clear()
        for object_id, label, score in shown:
            item = QListWidgetItem(f"{label}   {score:.2f}")
            item.setData(Qt.ItemDataRole.UserRole, object_id)
            self.list.addItem(item)
            if object_id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        hidden = total - len(shown)
        text = f"{len(shown)} suggestion{'s' if len(shown) != 1 else ''}"
        self.count_label.setText(text + (f" shown, {hidden} under the threshold" if hidden else ""))
        for b in (self.accept_button, self.reject_button, self.accept_all_button):
            b.setEnabled(bool(shown))

    def selected(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def select(self, object_id: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == object_id:
                self.list.setCurrentRow(row)
                return

    def _on_slider(self, value: int, emit: bool = True) -> None:
        self.threshold_label.setText(f"{value / 100:.2f}")
        if emit:
            self.thresholdChanged.emit(value / 100.0)

    def _on_current(self, item: QListWidgetItem | None, _previous) -> None:
        if item is not None:
            self.suggestionSelected.emit(int(item.data(Qt.ItemDataRole.UserRole)))
