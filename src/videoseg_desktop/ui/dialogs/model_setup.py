"""Getting the model ready: a progress dialog while it loads; when its checkpoint is missing,
an offer to download it (with progress and cancel), to choose a file or to import one; plain
words offline.

One dialog at a time (docs/adr/0012): the missing-model question is asked once per model and
never while another model dialog is open in any window; after that (or after Cancel) the model
panel keeps offering the same three ways forward.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog, QWidget

from videoseg_desktop.core.text import size_text
from videoseg_desktop.inference.registry import OFFICIAL_MODELS
from videoseg_desktop.ui.dialogs.message_boxes import message_box
from videoseg_desktop.ui.inference.inference_client import InferenceClient
from videoseg_desktop.ui.inference.inference_jobs import (
    DownloadAnswer,
    DownloadJob,
    ImportAnswer,
    ImportJob,
)
from videoseg_desktop.ui.inference.inference_worker import ERROR, LOADING, READY

MISSING_BOX = "modelMissingBox"  # object name: any window's open question is seen by all
CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth);;All files (*)"

OFFLINE_HINTS = ("urlopen error", "Name or service not known", "Temporary failure", "unreachable")


def plain_download_error(message: str) -> str:
    """Say "no network" plainly when that is what happened, keeping the manual instructions."""
    if any(hint in message for hint in OFFLINE_HINTS):
        return "This computer seems to be offline, so the model cannot be downloaded.\n\n" + message
    return message


class ModelSetupFlow(QObject):
    """Owns the model-related dialogs of one window."""

    messageShown = Signal(str)
    checkpointChosen = Signal(str, str)  # model, checkpoint file (to remember it)
    modelImported = Signal(str)  # the name the imported model is known by

    def __init__(self, client: InferenceClient, parent_widget: QWidget):
        super().__init__(parent_widget)
        self.client, self.parent_widget = client, parent_widget
        self.loading_dialog: QProgressDialog | None = None
        self.download_dialog: QProgressDialog | None = None
        self.missing_box: QMessageBox | None = None
        self._download_id = 0
        self._import_id = 0
        self._offered: set[str] = set()  # models whose missing-model question was asked
        self._file_dialog_open = False
        client.stateChanged.connect(self._on_state)
        client.modelMissing.connect(self.offer_download)
        client.progress.connect(self._on_progress)
        client.answered.connect(self._on_answer)
        client.failed.connect(self._on_failed)

    # -- loading ---------------------------------------------------------------------------
    def _on_state(self, state: str, detail: str) -> None:
        if state == LOADING:
            if self.loading_dialog is None:
                dialog = QProgressDialog(
                    "Loading the segmentation model…", None, 0, 0, self.parent_widget
                )
                dialog.setWindowTitle("Loading model")
                dialog.setMinimumDuration(400)
                dialog.setWindowModality(Qt.WindowModality.NonModal)
                # Keep the keyboard with the canvas: the user may go on working meanwhile.
                dialog.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
                self.loading_dialog = dialog
            self.loading_dialog.setLabelText(f"Loading the segmentation model ({detail})…")
            self.loading_dialog.setValue(0)
            return
        if self.loading_dialog is not None:
            self.loading_dialog.reset()
            self.loading_dialog.close()
            self.loading_dialog.deleteLater()
            self.loading_dialog = None
        if state == READY:
            self._offered.clear()  # should a model go missing again later, ask again
        if state == ERROR and self.parent_widget.isActiveWindow():
            self.messageShown.emit(f"The model could not be loaded: {detail}")

    # -- missing checkpoint ----------------------------------------------------------------
    def busy(self) -> bool:
        """Whether a model dialog of any window is open (or a download runs from this one)."""
        if self.download_dialog is not None or self._file_dialog_open:
            return True
        return any(
            w.objectName() == MISSING_BOX and w.isVisible() for w in QApplication.topLevelWidgets()
        )

    def offer_download(self, model: str, message: str) -> None:
        """Ask once per model; the model panel's buttons offer the same afterwards."""
        if model in self._offered or self.busy() or not self.parent_widget.isVisible():
            return
        self._offered.add(model)
        spec = OFFICIAL_MODELS.get(model)
        size = f" ({size_text(spec.size_bytes)})" if spec else ""
        box = QMessageBox(self.parent_widget)
        box.setObjectName(MISSING_BOX)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Model not downloaded")
        box.setText(f"The {model} model is not on this computer yet.")
        box.setInformativeText(
            f"Download it now{size}, choose a checkpoint file you already have, or import a "
            "fine-tuned one. The Model panel offers the same later."
        )
        box.setDetailedText(message)
        download = box.addButton(f"Download{size}", QMessageBox.ButtonRole.AcceptRole)
        choose = box.addButton("Choose file…", QMessageBox.ButtonRole.ActionRole)
        import_ = box.addButton("Import…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        self.missing_box = box

        def finished(_result) -> None:
            clicked = box.clickedButton()
            self.missing_box = None
            box.deleteLater()
            if clicked is download:
                self.start_download(model)
            elif clicked is choose:
                self.choose_file()
            elif clicked is import_:
                self.choose_import()

        box.finished.connect(finished)
        box.open()

    def start_download(self, model: str) -> None:
        if self.download_dialog is not None:  # one download at a time: show the running one
            self.download_dialog.raise_()
            return
        dialog = QProgressDialog(
            f"Downloading the {model} model…", "Cancel", 0, 100, self.parent_widget
        )
        dialog.setWindowTitle("Downloading model")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.client.cancel)
        self.download_dialog = dialog
        self._download_id = self.client.download(model)
        dialog.show()

    def choose_file(self, path: str | None = None, model: str | None = None) -> None:
        """Load ``model`` (default: the current one) from a checkpoint file the user has."""
        model = model or self.client.config.model
        if path is None:
            path = self._ask_file(f"Choose a checkpoint for the {model} model")
        if not path:
            return
        self.client.configure(replace(self.client.config, model=model, checkpoint=path))
        self.checkpointChosen.emit(model, path)
        self.client.retry_load()

    def choose_import(self, path: str | None = None) -> None:
        """Import a (fine-tuned) checkpoint into the models folder, like `videoseg models import`."""
        if path is None:
            path = self._ask_file("Import a SAM 2.1 checkpoint into the models folder")
        if path:
            self._import_id = self.client.submit(ImportJob(path=path))

    def _ask_file(self, title: str) -> str:
        self._file_dialog_open = True
        try:
            path, _ = QFileDialog.getOpenFileName(self.parent_widget, title, "", CHECKPOINT_FILTER)
        finally:
            self._file_dialog_open = False
        return path

    def _on_progress(self, request_id: int, done: int, total: int, text: str) -> None:
        if request_id != self._download_id or self.download_dialog is None:
            return
        if total > 0:
            self.download_dialog.setMaximum(1000)
            self.download_dialog.setValue(int(1000 * done / total))
            self.download_dialog.setLabelText(f"{text}: {size_text(done)} of {size_text(total)}")
        else:
            self.download_dialog.setMaximum(0)
            self.download_dialog.setLabelText(f"{text}: {size_text(done)}")

    def _on_answer(self, answer) -> None:
        if isinstance(answer, DownloadAnswer) and answer.request_id == self._download_id:
            self._close_download()
            self.client.retry_load()
        elif isinstance(answer, ImportAnswer) and answer.request_id == self._import_id:
            self.modelImported.emit(answer.model)

    def _on_failed(self, job, message: str) -> None:
        if isinstance(job, DownloadJob) and job.request_id == self._download_id:
            self._close_download()
            box = message_box(self.parent_widget, "Download failed", plain_download_error(message))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # the URL stays on one line, selectable, with Copy Link
        elif isinstance(job, ImportJob) and job.request_id == self._import_id:
            box = message_box(self.parent_widget, "Import failed", message)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()

    def _close_download(self) -> None:
        if self.download_dialog is not None:
            self.download_dialog.close()
            self.download_dialog.deleteLater()
            self.download_dialog = None
