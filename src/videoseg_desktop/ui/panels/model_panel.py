"""The model panel: model, device and input size, the model's true state with the way forward
(Download / Choose file… / Import…), and what the user waited for the last mask.

Changing a setting reconfigures the worker; the model then loads again on the next click. The
model list follows the models folder on disk, so `videoseg models download|import` run in a
terminal shows up at once (docs/adr/0012).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.text import size_text
from videoseg_desktop.inference.device import AUTO_SIZE, DEVICE_KINDS, IMAGE_SIZES, auto_image_size
from videoseg_desktop.inference.registry import (
    OFFICIAL_MODELS,
    find_checkpoint,
    list_models,
    models_dir,
)
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import ModelConfig
from videoseg_desktop.ui.inference.inference_worker import (
    DOWNLOADING,
    ERROR,
    IDLE,
    LOADING,
    MISSING,
    READY,
)

STATE_COLORS = {READY: "#2E7D32", LOADING: "#E69F00", ERROR: "#C62828", MISSING: "#C62828"}
AUTO_DEVICE = "auto"
# Why "auto" picks what it picks (a first click on a CPU: 3.5 s at 512 px, 10.6 s at 1024).
WHY_SIZE = {
    "cpu": "512 px is about 3x faster than 1024 on a CPU",
    "gpu": "1024 px, what SAM 2.1 was trained at, gives the finest masks",
}


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


def _ms(seconds: float) -> str:
    return f"{max(seconds, 0.0) * 1000:.0f} ms"


class ModelPanel(QWidget):
    configChanged = Signal(object)  # ModelConfig chosen by the user
    downloadRequested = Signal(str)  # model
    chooseFileRequested = Signal(str)  # model
    importRequested = Signal()

    def __init__(self, client: InferenceClient, preferences=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.client, self.preferences = client, preferences
        self.model_combo = QComboBox()
        self.device_combo = QComboBox()
        self.size_combo = QComboBox()
        self.precision_combo = QComboBox()
        self.size_note = self._wrapping_label()
        self.size_note.setStyleSheet("color: palette(placeholder-text)")
        self.state_label = self._wrapping_label()
        self.download_button = QPushButton("Download")
        self.choose_button = QPushButton("Choose file…")
        self.import_button = QPushButton("Import…")
        self.choose_button.setToolTip("Load this model from a checkpoint file you already have")
        self.import_button.setToolTip(
            "Copy a fine-tuned SAM 2.1 checkpoint into the models folder (videoseg models import)"
        )
        self.latency_label = QLabel("–")
        for combo in (self.model_combo, self.device_combo, self.size_combo, self.precision_combo):
            # Long model names must not widen the dock: the combo elides instead.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(10)
        self._fill_static()
        self.refresh_models()

        # Download on a row of its own: the three side by side would widen a narrow dock.
        buttons = QGridLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.download_button, 0, 0, 1, 2)
        buttons.addWidget(self.choose_button, 1, 0)
        buttons.addWidget(self.import_button, 1, 1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Model", self.model_combo)
        # The state and its buttons right under the model, full width (long states wrap): a
        # newcomer's "not downloaded" must not sit below the fold of a short dock.
        form.addRow(self.state_label)
        form.addRow(buttons)
        form.addRow("Device", self.device_combo)
        form.addRow("Input size", self.size_combo)
        form.addRow(self.size_note)
        form.addRow("Precision", self.precision_combo)
        form.addRow("Last mask", self.latency_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addStretch(1)

        self.show_config(client.config)
        combos = (self.model_combo, self.device_combo, self.size_combo, self.precision_combo)
        for combo in combos:
            combo.activated.connect(self._on_user_change)
        self.download_button.clicked.connect(
            lambda: self.downloadRequested.emit(self.model_combo.currentData())
        )
        self.choose_button.clicked.connect(
            lambda: self.chooseFileRequested.emit(self.model_combo.currentData())
        )
        self.import_button.clicked.connect(self.importRequested)
        # Bound methods only on the shared client: Qt drops them when this panel is deleted.
        client.stateChanged.connect(self.show_state)
        client.deviceKnown.connect(self._on_device)
        client.modelLoaded.connect(self._on_device)
        self._watch_models_folder()
        self.show_state(client.state, client.state_detail)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_labels()

    def _fit_labels(self) -> None:
        """Reserve the height wrapped text needs at the current width, so that the dock
        makes room for every line instead of squeezing the rows (a dock ignores
        height-for-width)."""
        for label in (self.size_note, self.state_label):
            if label.width() > 0:
                label.setMinimumHeight(label.heightForWidth(label.width()))

    @staticmethod
    def _wrapping_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        return label

    # -- the lists ---------------------------------------------------------------------------
    def _fill_static(self) -> None:
        self.device_combo.addItem("auto (best available)", AUTO_DEVICE)
        for kind in DEVICE_KINDS:
            self.device_combo.addItem(kind, kind)
        self.size_combo.addItem("auto", AUTO_SIZE)
        for size in IMAGE_SIZES:
            self.size_combo.addItem(f"{size} px", size)
        for value, label, tip in PRECISION_CHOICES:
            self.precision_combo.addItem(label, value)
            if tip:
                self.precision_combo.setItemData(self.precision_combo.count() - 1, tip, 3)

    def _chosen_file(self, model: str) -> str | None:
        if model == self.client.config.model and self.client.config.checkpoint:
            return self.client.config.checkpoint
        return self.preferences.checkpoint_for(model) if self.preferences is not None else None

    def refresh_models(self) -> None:
        """List the models as they are on disk now (keeping the selection)."""
        current = self.model_combo.currentData() or self.client.config.model
        self.model_combo.clear()
        for status in list_models():
            chosen = self._chosen_file(status.name)
            if chosen and not status.downloaded:
                mark = f"  (weights: {Path(chosen).name})"
            else:
                mark = "" if status.downloaded else "  (not downloaded)"
            self.model_combo.addItem(f"{status.name}{mark}", status.name)
            spec = OFFICIAL_MODELS.get(status.name)
            tip = spec.title if spec else f"imported from {status.path}"
            self.model_combo.setItemData(self.model_combo.count() - 1, tip, 3)  # tooltip
        if self.model_combo.findData(current) < 0:
            self.model_combo.addItem(current, current)
        self.model_combo.setCurrentIndex(self.model_combo.findData(current))
        self._show_actions()

    def _watch_models_folder(self) -> None:
        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self._on_models_changed)
        self.watcher = QFileSystemWatcher(self)
        folder = models_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)  # a cache folder: watching needs it
        except OSError:
            return  # not writable: the list refreshes on the next start
        self.watcher.addPath(str(folder))
        self.watcher.directoryChanged.connect(lambda _p: self._debounce.start())

    def _on_models_changed(self) -> None:
        self.refresh_models()
        config = self.client.config
        missing = self.client.state in (MISSING, ERROR) and not config.checkpoint
        if missing and find_checkpoint(config.model) is not None:  # downloaded meanwhile
            self.client.retry_load()
        self.show_state(self.client.state, self.client.state_detail)

    # -- configuration -----------------------------------------------------------------------
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
            self.model_combo.setItemData(index, f"weights from {config.checkpoint}", 3)
        self._show_size_note()
        self._show_actions()

    def selected_config(self) -> ModelConfig:
        device = self.device_combo.currentData()
        current = self.client.config
        model = self.model_combo.currentData()
        return ModelConfig(
            model=model,
            # A checkpoint given on the command line belongs to the model it was given for;
            # a file chosen for a model is remembered for it.
            checkpoint=current.checkpoint if model == current.model else self._chosen_file(model),
            image_size=self.size_combo.currentData(),
            device=None if device == AUTO_DEVICE else device,
            precision=self.precision_combo.currentData(),
        )

    def _on_user_change(self, _index: int) -> None:
        config = self.selected_config()
        if config != self.client.config:
            self.client.configure(config)
            self.configChanged.emit(config)
        self._show_size_note()
        self._show_actions()
        self.show_state(self.client.state, self.client.state_detail)

    def _device_kind(self) -> str | None:
        device = self.client.model_info.get("device") or self.client.device
        device = self.client.config.device or device
        if not device or device.startswith("unavailable"):
            return None
        return device.split(":", 1)[0]

    def _on_device(self, *_args) -> None:
        self._show_size_note()

    def _show_size_note(self) -> None:
        """Say which size is used and why: the device's default, or the user's own choice."""
        kind = self._device_kind()
        auto = auto_image_size(kind) if kind else None
        index = self.size_combo.findData(AUTO_SIZE)
        self.size_combo.setItemText(index, f"auto ({auto} px on {kind})" if auto else "auto")
        if self.size_combo.currentData() != AUTO_SIZE:
            text = f"Input size: your choice (auto would use {auto} px here)." if auto else ""
        elif kind:
            text = (
                f"Input size chosen for this device: {WHY_SIZE['cpu' if kind == 'cpu' else 'gpu']}."
            )
        else:
            text = "Input size chosen when the model loads: 512 px on a CPU, 1024 on a GPU."
        self.size_note.setText(text)
        self._fit_labels()

    # -- state -------------------------------------------------------------------------------
    def _model_on_disk(self) -> bool:
        config = self.client.config
        if config.checkpoint:
            return Path(config.checkpoint).is_file()
        return find_checkpoint(config.model) is not None

    def _show_actions(self) -> None:
        model = self.model_combo.currentData() or self.client.config.model
        spec = OFFICIAL_MODELS.get(model)
        downloadable = (
            spec is not None
            and find_checkpoint(model) is None
            and self._chosen_file(model) is None  # the user's own file serves
            and self.client.state != DOWNLOADING
        )
        self.download_button.setVisible(downloadable)
        if spec is not None:
            self.download_button.setText(f"Download ({size_text(spec.size_bytes)})")
            self.download_button.setToolTip(f"Download {spec.title} from Meta ({spec.url})")

    def show_state(self, state: str, detail: str) -> None:
        model = self.client.config.model
        if state == READY:
            text = f"ready ({detail})" if detail else "ready"
        elif state == MISSING or (state == IDLE and not self._model_on_disk()):
            state = MISSING
            text = (
                f"The {model} model is not on this computer yet: download it, choose a "
                "checkpoint file you have, or import a fine-tuned one."
            )
        elif state == IDLE:
            text = "not loaded yet: it loads on the first click"
        else:
            text = f"{state}: {detail}" if detail else state
        color = STATE_COLORS.get(state, "#666666")
        self.state_label.setText(f'<span style="color:{color}">●</span> {text}')
        self.state_label.setToolTip(detail)
        self._show_actions()
        self._fit_labels()

    # -- latency -----------------------------------------------------------------------------
    def show_wait(self, answer, total_s: float) -> None:
        """What the user waited from the click to the mask on screen, and where it went."""
        queue = answer.started_at - answer.submitted_at if answer.started_at else 0.0
        worker = answer.finished_at - answer.started_at if answer.started_at else answer.engine_s
        decode = max(worker - answer.encode_s, 0.0)
        shown = total_s - (queue + worker)
        self.latency_label.setText(_ms(total_s))
        self.latency_label.setToolTip(
            f"From the click to the mask on screen: {_ms(total_s)}\n"
            f"queued behind other work: {_ms(queue)}\n"
            f"encoding the image: {_ms(answer.encode_s)}"
            f"{'' if answer.encode_s else ' (prepared ahead)'}\n"
            f"decoding the mask: {_ms(decode)}\n"
            f"storing and drawing it: {_ms(shown)}"
        )
