"""Pre-labelling a media-browser selection: the dialog that asks what to do, and the runner that
submits the worker job, stores its results on the GUI thread and shows progress with Cancel.

Results are stored with the rules of ``videoseg autolabel`` / ``boxes-to-masks`` (store/), as
suggestions to review; runs are recorded, so cancelling and starting again resumes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from videoseg_desktop.core.concepts import ConceptPrompt
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.box_prelabel import BoxJob, BoxWriter
from videoseg_desktop.store.prelabel import PrelabelWriter
from videoseg_desktop.ui.prelabel.batch_jobs import (
    BatchDone,
    BatchPart,
    BoxesBatchJob,
    ConceptBatchJob,
    MediaSource,
)


class PrelabelDialog(QDialog):
    """Concept (SAM 3) or boxes from a detector's file (SAM 2.1) for the selected items."""

    DIRECTIONS = (("Forward", "forward"), ("Backward", "backward"), ("Both ways", "both"))

    def __init__(self, parent: QWidget | None, count: int, label: str = "", frame: int = 0):
        super().__init__(parent)
        self.setWindowTitle(f"Pre-label {plural(count, 'item')}")
        self.tabs = QTabWidget()
        concept = QWidget()
        form = QFormLayout(concept)
        self.text = QLineEdit(label)
        self.text.setPlaceholderText("e.g. car")
        self.label = QLineEdit()
        self.label.setPlaceholderText("default: the concept")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.5)
        # Videos are tracked from a frame (the one on screen by default), as the CLI's
        # --from/--direction: the object that matters may only enter late in the clip.
        self.direction = QComboBox()
        for text, value in self.DIRECTIONS:
            self.direction.addItem(text, value)
        self.start_frame = QSpinBox()
        self.start_frame.setRange(0, 10_000_000)
        self.start_frame.setValue(frame)
        self.start_frame.setToolTip("Clipped to each video's last frame")
        track = QHBoxLayout()
        track.addWidget(self.direction)
        track.addWidget(QLabel("from frame"))
        track.addWidget(self.start_frame, 1)
        form.addRow("Find (SAM 3)", self.text)
        form.addRow("Label", self.label)
        form.addRow("Score at least", self.threshold)
        form.addRow("Videos: track", track)
        boxes = QWidget()
        form = QFormLayout(boxes)
        self.path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.format = QComboBox()
        self.format.addItems(["coco", "yolo", "mot"])
        self.min_score = QDoubleSpinBox()
        self.min_score.setRange(0.0, 1.0)
        self.min_score.setSingleStep(0.05)
        self.min_score.setSpecialValueText("all boxes")
        form.addRow("Boxes file or folder", row)
        form.addRow("Format", self.format)
        form.addRow("Score at least", self.min_score)
        self.tabs.addTab(concept, "Concept")
        self.tabs.addTab(boxes, "Boxes from a file")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        if self.format.currentText() == "yolo":
            path = QFileDialog.getExistingDirectory(self, "YOLO labels folder")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Boxes file")
        if path:
            self.path.setText(path)

    def uses_boxes(self) -> bool:
        return self.tabs.currentIndex() == 1


class BatchRunner(QObject):
    finished = Signal(object)  # BatchDone, or None after a failure

    def __init__(self, window):
        super().__init__(window)
        self.window, self.client = window, window.client
        self.session = None
        self.request_id: int | None = None
        self.writers: dict[int, object] = {}
        self.objects = 0
        self.progress: QProgressDialog | None = None
        self.client.answered.connect(self._on_answer)
        self.client.failed.connect(self._on_failed)
        self.client.progress.connect(self._on_progress)

    @property
    def running(self) -> bool:
        return self.request_id is not None

    def sources(self, media_ids: list[int]) -> list[MediaSource]:
        project = self.session.project
        out = []
        for media_id in media_ids:
            item = project.media.get(media_id)
            index = project.frame_index_path(item) if item.frame_count > 1 else None
            out.append(
                MediaSource(item, str(project.media_path(item)), str(index) if index else None)
            )
        return out

    def start_concept(
        self,
        session,
        media_ids,
        concept: ConceptPrompt,
        threshold: float,
        model,
        direction: str = "forward",
        start_frame: int = 0,
    ):
        job = ConceptBatchJob(
            concept=concept,
            threshold=threshold,
            model=model,
            direction=direction,
            start_frame=start_frame,
        )
        self._start(session, media_ids, job)

    def start_boxes(self, session, media_ids, path: str, fmt: str, min_score: float | None):
        job = BoxesBatchJob(path=path, format=fmt, min_score=min_score)
        self._start(session, media_ids, job)

    def _start(self, session, media_ids, job) -> None:
        if self.running or session is None or session.project.read_only:
            return
        self.session = session
        project = session.project
        job.media = self.sources(media_ids)
        job.done = {
            (r.media_id, r.concept, r.model) for r in project.prelabels.list() if r.state == "done"
        }
        job.spill_dir = str(project.tracking_dir)
        job.device = getattr(job, "device", None) or self.client.config.device
        self.writers.clear()
        self.objects = 0
        self.request_id = self.client.submit(job)
        self.progress = QProgressDialog("Pre-labelling…", "Cancel", 0, 0, self.window)
        self.progress.setWindowTitle("Pre-label selection")
        self.progress.setWindowModality(Qt.WindowModality.NonModal)  # the window stays usable
        self.progress.setMinimumDuration(0)
        self.progress.canceled.connect(self.client.cancel)
        self.progress.show()

    def _on_progress(self, request_id: int, done: int, total: int, text: str) -> None:
        if request_id != self.request_id or self.progress is None:
            return
        self.progress.setMaximum(max(total, 0))
        self.progress.setValue(done)
        self.progress.setLabelText(text)

    def _on_answer(self, answer) -> None:
        if getattr(answer, "request_id", None) != self.request_id or self.request_id is None:
            return
        if isinstance(answer, BatchPart):
            try:
                self._store(answer)
            except VideoSegError as exc:
                self.window.show_error(f"Pre-labelling could not store results: {exc}")
                self.client.cancel()
        elif isinstance(answer, BatchDone):
            self._close()
            self._report(answer)
            self.finished.emit(answer)

    def _store(self, part: BatchPart) -> None:
        project, job = self.session.project, part.job
        media_id = job.media.id
        writer = self.writers.get(media_id)
        if writer is None:
            kind = BoxWriter if isinstance(job, BoxJob) else PrelabelWriter
            writer = self.writers[media_id] = kind(project, job)
            writer.begin()
        before = self._created(writer)
        if not part.video:
            if isinstance(job, BoxJob):
                writer.write_image(part.results)
            else:
                writer.write_image(part.results, 0)
        else:
            if part.results:
                writer.write_frames(part.results)
            if part.done:
                writer.finish()
        self.objects += self._created(writer) - before

    @staticmethod
    def _created(writer) -> int:
        return writer.created if isinstance(writer, BoxWriter) else len(writer.report.created)

    def _on_failed(self, job, message: str) -> None:
        if job.request_id == self.request_id:
            self._close()
            self.window.show_error(f"Pre-labelling stopped: {message}")
            self.finished.emit(None)

    def _close(self) -> None:
        self.request_id = None
        if self.progress is not None:
            self.progress.canceled.disconnect(self.client.cancel)
            self.progress.close()
            self.progress = None

    def _report(self, done: BatchDone) -> None:
        state = "cancelled (start it again to resume)" if done.cancelled else "done"
        text = (
            f"Pre-labelling {state}: {done.items} item{'s' if done.items != 1 else ''}, "
            f"{self.objects} suggestion{'s' if self.objects != 1 else ''} to review "
            f"({done.seconds:.1f} s)."
        )
        self.window.statusBar().showMessage(text, 15000)
        if done.problems:
            shown = "\n".join(done.problems[:20])
            more = len(done.problems) - 20
            QMessageBox.information(
                self.window,
                "Pre-labelling",
                f"{text}\n\nLeft out:\n{shown}" + (f"\n… and {more} more" if more > 0 else ""),
            )
