"""What pre-labelling adds to the window: the "Find all" dock (SAM 3 on the current image, in
the inference worker) and a Pre-label menu; suggestions are accepted or rejected by keyboard.

The main window plugs it in with ``self.prelabel = PrelabelStudio.install(self)``. Found
instances are stored at once as suggested objects of the label (store/prelabel.py rules); the
score slider only filters what is shown (``session.filtered``), so moving it never re-runs the
model. Accepting makes them normal objects; each accept/reject batch is one undo step.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QDockWidget, QMenu, QPushButton

from videoseg_desktop.core.concepts import ConceptPrompt
from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.records import ObjectState
from videoseg_desktop.store.prelabel import PrelabelJob
from videoseg_desktop.ui.prelabel.batch_runner import BatchRunner, PrelabelDialog
from videoseg_desktop.ui.prelabel.find_all_jobs import FindAllAnswer, FindAllJob, exemplar
from videoseg_desktop.ui.prelabel.find_all_panel import FindAllPanel
from videoseg_desktop.ui.prelabel.suggestion_commands import (
    DecideSuggestionsCommand,
    StoreSuggestionsCommand,
)
from videoseg_desktop.ui.project.undo_commands import push_command

SAM3_MODEL = "sam3"


class PrelabelStudio(QObject):
    @classmethod
    def install(cls, window) -> PrelabelStudio:
        return cls(window)

    def __init__(self, window):
        super().__init__(window)
        self.window, self.client = window, window.client
        self.session = None
        self.model: str | None = None  # None: the installed SAM 3 (see sam3_model)
        self.examples: list = []  # Exemplars on the current image
        self._waiting: set[int] = set()
        self.panel = FindAllPanel()
        self.dock = QDockWidget("Find All", window)
        self.dock.setObjectName("FindAllDock")
        self.dock.setWidget(self.panel)
        window.add_dock(self.dock, Qt.DockWidgetArea.RightDockWidgetArea)
        # A tab beside Model / Review / Attributes: one more dock in the right column would
        # push the window past the screen (docks' minimum heights add up).
        window.tabifyDockWidget(window.model_dock, self.dock)
        window.model_dock.raise_()
        menu = QMenu("&Pre-label", window)
        window.menuBar().insertMenu(window.actions.help_menu.menuAction(), menu)
        add = window.actions.add
        self.find_action = add(menu, "&Find All…", ["Ctrl+F"])
        # A and R belong to review mode, which hands them here for a suggestion shown in this
        # panel (decide_if_suggestion): one key, never two actions fighting over it.
        self.accept_action = add(menu, "&Accept Suggestion", [])
        self.reject_action = add(menu, "&Reject Suggestion", [])
        self.accept_all_action = add(menu, "Accept &All Shown Suggestions", ["Ctrl+Shift+A"])
        menu.addSeparator()
        self.batch_action = add(menu, "Pre-label &Selection…", ["Ctrl+Shift+L"])
        self.batch_action.triggered.connect(self.prelabel_selection)
        button = QPushButton("Pre-label…")
        button.setToolTip("Pre-label the selected items: a SAM 3 concept or a detector's boxes")
        button.clicked.connect(self.prelabel_selection)
        window.media_dock.add_button(button)
        self.runner = BatchRunner(window)
        self.runner.finished.connect(lambda _done: self.refresh())
        self.find_action.triggered.connect(self.find)
        self.accept_action.triggered.connect(lambda: self.decide(accept=True))
        self.reject_action.triggered.connect(lambda: self.decide(accept=False))
        self.accept_all_action.triggered.connect(self.accept_all)
        p = self.panel
        p.findRequested.connect(self.find)
        p.thresholdChanged.connect(lambda _t: self.refresh())
        p.acceptRequested.connect(lambda: self.decide(accept=True))
        p.rejectRequested.connect(lambda: self.decide(accept=False))
        p.acceptAllRequested.connect(self.accept_all)
        p.clearExamplesRequested.connect(self.clear_examples)
        p.suggestionSelected.connect(self._select_object)
        window.canvas.prompt_tool.exemplarRequested.connect(self.add_example)
        self.client.answered.connect(self._on_answer)
        self.client.failed.connect(self._on_failed)
        window.sessionChanged.connect(self.set_session)
        edits = [self.find_action, self.accept_action, self.reject_action, self.accept_all_action]
        window.read_only.watch([*edits, self.batch_action], [self.panel, button])

    # -- session ---------------------------------------------------------------------------
    def set_session(self, session) -> None:
        self.session = session
        self.clear_examples()
        self._waiting.clear()
        if session is None:
            return
        session.mediaChanged.connect(self._on_place)
        session.frameChanged.connect(self._on_place)
        session.labelChanged.connect(lambda _id: self._default_text())
        session.events.objectsChanged.connect(lambda _ids: self.refresh())
        session.events.masksChanged.connect(lambda _ids: self.refresh())
        self._default_text()
        self.refresh()

    def _on_place(self, *_args) -> None:
        self.clear_examples()
        self.refresh()

    def _default_text(self) -> None:
        label = self.session.label_by_id(self.session.label_id) if self.session else None
        if label is not None:
            self.panel.text.setText(label.name)

    def sam3_model(self) -> str:
        """The official SAM 3 when installed, else the first imported one (else the official
        name, whose absence the worker reports with the way to get it)."""
        if self.model:
            return self.model
        from videoseg_desktop.inference.sam3_registry import list_sam3_models

        installed = [m.name for m in list_sam3_models() if m.downloaded]
        return installed[0] if installed else SAM3_MODEL

    # -- find ------------------------------------------------------------------------------
    def add_example(self, box, positive: bool) -> None:
        s = self.session
        if s is None or s.media is None:
            return
        self.examples.append(exemplar(s.media_id, s.frame, box, positive))
        self._show_examples()
        self.show_panel()

    def clear_examples(self) -> None:
        self.examples.clear()
        self._show_examples()

    def _show_examples(self) -> None:
        pos = sum(1 for e in self.examples if e.positive)
        self.panel.set_examples(pos, len(self.examples) - pos)
        boxes = [((e.box.x0, e.box.y0, e.box.x1, e.box.y1), e.positive) for e in self.examples]
        self.window.canvas.set_exemplars(boxes)

    def concept(self) -> ConceptPrompt:
        text = self.panel.text.text().strip() or None
        label = self.session.label_by_id(self.session.label_id)
        name = label.name if label is not None else text
        return ConceptPrompt(text, name, tuple(self.examples))

    def show_panel(self) -> None:
        self.dock.setVisible(True)
        self.dock.raise_()

    def find(self) -> None:
        s = self.session
        self.show_panel()
        if s is None or s.media is None or s.project.read_only:
            return
        try:
            concept = self.concept()
            concept.label_name  # noqa: B018 - boxes alone need a label: say so before the model
            image = s.image()
        except VideoSegError as exc:
            self.window.show_error(str(exc))
            return
        job = FindAllJob(
            media_id=s.media_id,
            frame=s.frame,
            image=image,
            concept=concept,
            model=self.sam3_model(),
            device=self.client.config.device,
        )
        self._waiting.add(self.client.submit(job))
        self.panel.find_button.setEnabled(False)
        self.window.statusBar().showMessage(f"Finding every {concept.label_name}…")

    def _on_answer(self, answer) -> None:
        if not isinstance(answer, FindAllAnswer) or answer.request_id not in self._waiting:
            return
        self._waiting.discard(answer.request_id)
        self.panel.find_button.setEnabled(True)
        s = self.session
        if s is None or (s.media_id, s.frame) != (answer.media_id, answer.frame):
            return  # the user moved on; nothing is stored for an image not on screen
        job = PrelabelJob(s.media, answer.concept, answer.model_id)
        try:
            command = push_command(s, StoreSuggestionsCommand(s, job, answer.instances, s.frame))
        except VideoSegError as exc:
            self.window.show_error(f"Could not store the suggestions: {exc}")
            return
        shown = sum(1 for i in answer.instances if i.score >= self.panel.threshold)
        self.window.statusBar().showMessage(
            f"Found {len(answer.instances)} ({shown} above {self.panel.threshold:.2f}), "
            f"{command.skipped} overlapping an object skipped, in {answer.seconds:.1f} s",
            8000,
        )
        self.refresh()

    def _on_failed(self, job, message: str) -> None:
        if job.request_id in self._waiting:
            self._waiting.discard(job.request_id)
            self.panel.find_button.setEnabled(True)
            self.window.show_error(f"Find all: {message}")

    # -- suggestions -----------------------------------------------------------------------
    def suggestions(self) -> list[tuple[int, str, float]]:
        """(object id, label, score) of the current frame's suggestions, best first."""
        s = self.session
        if s is None or s.media is None:
            return []
        labels = {lb.id: lb.name for lb in s.labels()}
        out = []
        for obj in s.objects():
            if obj.state != ObjectState.SUGGESTED:
                continue
            record = s.project.masks.get(obj.id, s.frame)
            if record is not None:
                out.append((obj.id, labels.get(obj.label_id, obj.name), record.score or 0.0))
        return sorted(out, key=lambda t: -t[2])

    def refresh(self) -> None:
        if self.session is None:
            return
        found = self.suggestions()
        t = self.panel.threshold
        shown = [f for f in found if f[2] >= t]
        self.session.set_filtered({f[0] for f in found if f[2] < t})
        self.panel.set_suggestions(shown, len(found))

    def shown_ids(self) -> list[int]:
        return [f[0] for f in self.suggestions() if f[2] >= self.panel.threshold]

    def decide(self, accept: bool) -> None:
        s = self.session
        shown = self.shown_ids()
        chosen = self.panel.selected()
        if chosen not in shown:
            chosen = s.object_id if s is not None and s.object_id in shown else None
        if chosen is None:
            return
        following = shown[shown.index(chosen) + 1 :] or shown[:-1]
        self._decide([chosen], accept)
        if following:
            self.panel.select(following[0])

    def decide_if_suggestion(self, accept: bool) -> bool:
        """Accept or reject the selected suggestion if Find All shows one; False otherwise."""
        s = self.session
        if not self.dock.isVisible() or s is None:  # a tab not in front is not visible
            return False
        chosen = self.panel.selected()
        shown = self.shown_ids()
        if chosen not in shown and s.object_id not in shown:
            return False
        self.decide(accept)
        return True

    def accept_all(self) -> None:
        self._decide(self.shown_ids(), True)

    def _decide(self, ids: list[int], accept: bool) -> None:
        if not ids or self.session is None or self.session.project.read_only:
            return
        try:
            push_command(self.session, DecideSuggestionsCommand(self.session, ids, accept))
        except VideoSegError as exc:
            self.window.show_error(str(exc))

    def _select_object(self, object_id: int) -> None:
        if self.session is not None and self.session.has_object(object_id):
            self.session.set_object(object_id)

    # -- a selection -----------------------------------------------------------------------
    def prelabel_selection(self) -> None:
        s = self.session
        if s is None or s.project.read_only or self.runner.running:
            return
        ids = self.window.media_dock.selected_ids() or ([s.media_id] if s.media else [])
        if not ids:
            return
        label = s.label_by_id(s.label_id)
        dialog = PrelabelDialog(self.window, len(ids), label.name if label else "", s.frame)
        self.dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            if dialog.uses_boxes():
                path = dialog.path.text().strip()
                if not path:
                    raise VideoSegError("choose the file (or YOLO folder) with the boxes")
                score = dialog.min_score.value() or None
                self.runner.start_boxes(s, ids, path, dialog.format.currentText(), score)
            else:
                concept = ConceptPrompt(dialog.text.text(), dialog.label.text().strip() or None)
                concept.label_name  # noqa: B018 - fail before the model
                self.runner.start_concept(
                    s,
                    ids,
                    concept,
                    dialog.threshold.value(),
                    self.sam3_model(),
                    dialog.direction.currentData(),
                    dialog.start_frame.value(),
                )
        except VideoSegError as exc:
            self.window.show_error(str(exc))
