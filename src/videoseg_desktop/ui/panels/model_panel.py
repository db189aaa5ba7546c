"""The model selector: size, device, input size and precision, with the model's state and last
latency.

Changing a setting reconfigures the worker; the model then loads again on the next click.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from videoseg_desktop.inference.device import DEVICE_KINDS, IMAGE_SIZES
from videoseg_desktop.inference.registry import OFFICIAL_MODELS, list_models
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import ModelConfig
from videoseg_desktop.ui.inference.inference_worker import ERROR, LOADING, MISSING, READY

STATE_COLORS = {READY: "#2E7D32", LOADING: "#E69F00", ERROR: "#C62828", MISSING: "#C62828"}
AUTO_DEVICE = "auto"
# (value, label, tooltip); figures from benchmarks/bench_cpu_quantized.py (2-core CPU, 1024 px).
PRECISION_CHOICES = (
    ("auto", "auto (bf16 on GPUs, fp32 on CPUs)", "exact fp32 masks on a CPU"),
    ("fp32", "fp32 (exact)", ""),
    (
        "bf16",
        "bf16 (faster on CPUs)",
        "CPU: encoding 1.9x faster; masks differ on < 0.5% of pixels",
    ),
    (
        "int8",
        "int8 encoder (CPU only)",
        "CPU: image encoder quantized to int8, encoding 1.6x faster; masks differ on < 0.7% of pixels",
    ),
)


class ModelPanel(QWidget):
    configChanged = Signal(object)  # ModelConfig chosen by the user

    def __init__(self, client: InferenceClient, parent: QWidget | None = None):
        super().__init__(parent)
        self.client = client
        self.model_combo = QComboBox()
        self.device_combo = QComboBox()
        self.size_combo = QComboBox()
        self.precision_combo = QComboBox()
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.latency_label = QLabel("–")
        self._fill()
        layout = QFormLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addRow("Model", self.model_combo)
        layout.addRow("Device", self.device_combo)
        layout.addRow("Input size", self.size_combo)
        layout.addRow("Precision", self.precision_combo)
        layout.addRow("State", self.state_label)
        layout.addRow("Last mask", self.latency_label)
        self.show_config(client.config)
        combos = (self.model_combo, self.device_combo, self.size_combo, self.precision_combo)
        for combo in combos:
            combo.activated.connect(self._on_user_change)
        client.stateChanged.connect(self.show_state)
        client.maskReady.connect(self._on_mask)
        self.show_state(client.state, client.state_detail)

    def _fill(self) -> None:
        for status in list_models():
            title = OFFICIAL_MODELS[status.name].title if status.name in OFFICIAL_MODELS else ""
            mark = "" if status.downloaded else "  (not downloaded)"
            self.model_combo.addItem(f"{status.name}{mark}", status.name)
            if title:
                self.model_combo.setItemData(self.model_combo.count() - 1, title, 3)  # tooltip
        self.device_combo.addItem("auto (best available)", AUTO_DEVICE)
        for kind in DEVICE_KINDS:
            self.device_combo.addItem(kind, kind)
        for size in IMAGE_SIZES:
            self.size_combo.addItem(f"{size} px", size)
        for value, label, tip in PRECISION_CHOICES:
            self.precision_combo.addItem(label, value)
            if tip:
                self.precision_combo.setItemData(self.precision_combo.count() - 1, tip, 3)

    def show_config(self, config: ModelConfig) -> None:
        if self.model_combo.findData(config.model) < 0:
            self.model_combo.addItem(config.model, config.model)
        self.model_combo.setCurrentIndex(self.model_combo.findData(config.model))
        self.device_combo.setCurrentIndex(
            max(self.device_combo.findData(config.device or AUTO_DEVICE), 0)
        )
        self.size_combo.setCurrentIndex(max(self.size_combo.findData(config.image_size), 0))
        self.precision_combo.setCurrentIndex(
            max(self.precision_combo.findData(config.precision), 0)
        )
        if config.checkpoint:
            index = self.model_combo.findData(config.model)
            name = Path(config.checkpoint).name
            self.model_combo.setItemText(index, f"{config.model}  (weights: {name})")
            self.model_combo.setToolTip(f"weights from {config.checkpoint}")

    def selected_config(self) -> ModelConfig:
        device = self.device_combo.currentData()
        current = self.client.config
        model = self.model_combo.currentData()
        return ModelConfig(
            model=model,
            # A checkpoint given on the command line belongs to the model it was given for.
            checkpoint=current.checkpoint if model == current.model else None,
            image_size=int(self.size_combo.currentData()),
            device=None if device == AUTO_DEVICE else device,
            precision=self.precision_combo.currentData(),
        )

    def _on_user_change(self, _index: int) -> None:
        config = self.selected_config()
        if config != self.client.config:
            self.client.configure(config)
            self.configChanged.emit(config)

    def show_state(self, state: str, detail: str) -> None:
        text = state if not detail or state == READY else f"{state}: {detail}"
        if state == READY:
            text = f"ready ({detail})" if detail else "ready"
        color = STATE_COLORS.get(state, "#666666")
        self.state_label.setText(f'<span style="color:{color}">●</span> {text}')
        self.state_label.setToolTip(detail)

    def _on_mask(self, answer) -> None:
        encode = f" (encoding {answer.encode_s * 1000:.0f} ms)" if answer.encode_s else ""
        self.latency_label.setText(f"{answer.engine_s * 1000:.0f} ms{encode}")
