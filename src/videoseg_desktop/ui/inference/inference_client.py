"""The GUI side of the inference worker: starts its thread, numbers requests, filters answers.

One client serves every window of the application, so the model is loaded once. Answers to
superseded requests never leave the client.
"""

from __future__ import annotations

from collections.abc import Hashable

from PySide6.QtCore import QObject, Qt, QThread, Signal

from videoseg_desktop.ui.inference.inference_jobs import (
    DownloadJob,
    Job,
    LoadModelJob,
    MaskAnswer,
    ModelConfig,
    WarmupAnswer,
    WarmupJob,
)
from videoseg_desktop.ui.inference.inference_worker import IDLE, READY, InferenceWorker, RequestBook


class InferenceClient(QObject):
    maskReady = Signal(object)  # MaskAnswer of a current request
    answered = Signal(object)  # every other current answer
    failed = Signal(object, str)  # job, message
    progress = Signal(int, int, int, str)
    stateChanged = Signal(str, str)
    modelMissing = Signal(str, str)
    modelLoaded = Signal(object)
    deviceKnown = Signal(str)

    _toWorker = Signal(object)
    _configToWorker = Signal(object)

    def __init__(self, config: ModelConfig | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.config = config or ModelConfig()
        self.book = RequestBook()
        self.state, self.state_detail = IDLE, ""
        self.model_info: dict = {}
        self.device = ""
        self.last_latency_s: float | None = None  # engine time of the last mask
        self._thread = QThread()
        self._thread.setObjectName("inference")
        self.worker = InferenceWorker(self.config, self.book)
        self.worker.moveToThread(self._thread)
        queued = Qt.ConnectionType.QueuedConnection
        self._toWorker.connect(self.worker.submit, queued)
        self._configToWorker.connect(self.worker.configure, queued)
        self.worker.answered.connect(self._on_answer, queued)
        self.worker.failed.connect(self._on_failed, queued)
        self.worker.progress.connect(self.progress, queued)
        self.worker.stateChanged.connect(self._on_state, queued)
        self.worker.modelMissing.connect(self.modelMissing, queued)
        self.worker.modelLoaded.connect(self._on_loaded, queued)
        self._thread.start()
        self._warmed = False

    def warm_up(self) -> None:
        """Import torch on the worker thread now (call once the window is visible)."""
        if not self._warmed:
            self._warmed = True
            self.submit(WarmupJob(device=self.config.device))

    def submit(self, job: Job) -> int:
        job.request_id = self.book.issue(job.slot)
        if not job.background:  # seen at once by a precompute running on the worker thread
            self.worker.user_requests.arrived(job)
        self._toWorker.emit(job)
        return job.request_id

    def supersede(self, slot: Hashable) -> None:
        self.book.supersede(slot)

    def is_current(self, slot: Hashable | None, request_id: int) -> bool:
        return self.book.is_current(slot, request_id)

    def configure(self, config: ModelConfig) -> None:
        if config == self.config:
            return
        self.config = config
        self._configToWorker.emit(config)

    def load_model(self) -> int:
        return self.submit(LoadModelJob())

    def retry_load(self) -> int:
        """Forget an earlier failure to load (after a download or a new file) and load now."""
        self._configToWorker.emit(self.config)
        return self.load_model()

    def download(self, model: str) -> int:
        return self.submit(DownloadJob(model=model))

    def cancel(self) -> None:
        """Ask a long job (download, propagation) to stop at its next check."""
        self.worker.request_cancel()

    def is_ready(self) -> bool:
        return self.state == READY

    def shutdown(self, timeout_ms: int = 60000) -> None:
        # Importing torch or loading a model cannot be interrupted and takes well over 10 s on a
        # busy CPU; a QThread destroyed while running aborts the process (seen on quitting a
        # --smoke-test launch right after start), so wait for it.
        if self._thread.isRunning():
            self.worker.request_cancel()
            self._thread.quit()
            self._thread.wait(timeout_ms)

    # -- answers ----------------------------------------------------------------------------
    def _on_answer(self, answer) -> None:
        slot = getattr(answer, "slot", None)
        if not self.book.is_current(slot, answer.request_id):
            return  # an answer to a superseded request
        if isinstance(answer, MaskAnswer):
            self.last_latency_s = answer.engine_s
            self.maskReady.emit(answer)
            return
        if isinstance(answer, WarmupAnswer):
            self.device = answer.device
            self.deviceKnown.emit(answer.device)
        self.answered.emit(answer)

    def _on_failed(self, job: Job, message: str) -> None:
        if self.book.is_current(job.slot, job.request_id):
            self.failed.emit(job, message)

    def _on_state(self, state: str, detail: str) -> None:
        self.state, self.state_detail = state, detail
        self.stateChanged.emit(state, detail)

    def _on_loaded(self, info: dict) -> None:
        self.model_info = info
        self.device = info.get("device", self.device)
        self.deviceKnown.emit(self.device)
        self.modelLoaded.emit(info)
