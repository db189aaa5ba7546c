"""The main window: layout and wiring only.

Centre: the start page or the canvas. Left: the media browser. Right: labels, objects, model.
Per open project there is one ProjectSession (what is current), one CanvasPresenter (store ->
canvas) and one AnnotationController (gestures -> prompts -> worker -> store).

Plug-ins (the timeline, mask tools) attach with a few lines::

    window.add_dock(TimelineDock(), Qt.DockWidgetArea.BottomDockWidgetArea)  # set_session() is
    window.actions.add(window.actions.tools_menu, "Brush", ["B"])             # called for them
    window.canvas.set_tool(BrushTool(...))
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from videoseg_desktop import __version__
from videoseg_desktop.core.errors import ProjectLockedError, ReadOnlyAdvisedError, VideoSegError
from videoseg_desktop.store import DB_NAME, Project
from videoseg_desktop.ui import quit_flow
from videoseg_desktop.ui.annotation.annotation_controller import AnnotationController
from videoseg_desktop.ui.app_context import AppContext
from videoseg_desktop.ui.canvas.canvas_presenter import CanvasPresenter
from videoseg_desktop.ui.canvas.canvas_view import CanvasView
from videoseg_desktop.ui.dialogs.message_boxes import message_box
from videoseg_desktop.ui.dialogs.model_setup import ModelSetupFlow
from videoseg_desktop.ui.dialogs.shortcuts_dialog import ShortcutsDialog
from videoseg_desktop.ui.editing import MaskEditing
from videoseg_desktop.ui.panels.label_panel import LabelPanel
from videoseg_desktop.ui.panels.media_browser_dock import MediaBrowserDock, dropped_paths
from videoseg_desktop.ui.panels.model_panel import ModelPanel
from videoseg_desktop.ui.panels.object_list_panel import ObjectListPanel
from videoseg_desktop.ui.prelabel.prelabel_studio import PrelabelStudio
from videoseg_desktop.ui.project import project_actions
from videoseg_desktop.ui.project.project_session import ProjectSession
from videoseg_desktop.ui.project.read_only import ReadOnlyGuard, offer_read_only, window_title
from videoseg_desktop.ui.project.start_page import StartPage
from videoseg_desktop.ui.review.activity import ActivityMonitor
from videoseg_desktop.ui.review.review_mode import ReviewMode
from videoseg_desktop.ui.review.user_name import apply_user, resolve_user
from videoseg_desktop.ui.team.team_menu import TeamMenu
from videoseg_desktop.ui.theme.fields import FieldKeys
from videoseg_desktop.ui.video.video_studio import VideoStudio
from videoseg_desktop.ui.window_actions import WindowActions

# Background builds (scrub proxies) stand aside this long after a click: its mask, and the
# image encoding a click on a new image starts, get the CPU first.
USER_ACTIVE_S = 2.0


class MainWindow(QMainWindow):
    sessionChanged = Signal(object)  # ProjectSession, or None when the project closed

    def __init__(self, context: AppContext, load_thumbnails: bool = True):
        super().__init__()
        self.context, self.client = context, context.client
        self.session: ProjectSession | None = None
        self.presenter: CanvasPresenter | None = None
        self.controller: AnnotationController | None = None
        self.last_error = ""
        self.setWindowTitle("VideoSeg Desktop")
        self.setAcceptDrops(True)
        self.resize(1400, 900)

        self.canvas = CanvasView()
        self.start_page = StartPage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.start_page)
        self.stack.addWidget(self.canvas)
        self.setCentralWidget(self.stack)

        self.actions = WindowActions(self)
        self.field_keys = FieldKeys(self, self.canvas)  # fields hand keys back to the canvas
        self.media_dock = MediaBrowserDock(self, load_thumbnails)
        self.label_panel = LabelPanel()
        self.object_panel = ObjectListPanel()
        self.model_panel = ModelPanel(self.client, context.preferences)
        self._session_views: list = []
        self.add_dock(self.media_dock, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.labels_dock = self._wrap("Labels", self.label_panel)
        self.objects_dock = self._wrap("Objects", self.object_panel)
        # Scrolls rather than sets the column's height: its wrapped notes and buttons would
        # otherwise make the window taller than a laptop screen.
        self.model_dock = self._wrap("Model", scrolling(self.model_panel))
        for dock in (self.labels_dock, self.objects_dock, self.model_dock):
            self.add_dock(dock, Qt.DockWidgetArea.RightDockWidgetArea)
        self.model_setup = ModelSetupFlow(self.client, self)

        self.device_label, self.model_label = QLabel(), QLabel()
        self.cursor_label, self.zoom_label = QLabel(), QLabel()
        self.read_only_label = QLabel()
        for label in (
            self.read_only_label,
            self.device_label,
            self.model_label,
            self.cursor_label,
            self.zoom_label,
        ):
            self.statusBar().addPermanentWidget(label)
        self.read_only = ReadOnlyGuard(self.read_only_label)
        self.lock_dialog: QMessageBox | None = None
        self._wire()
        self.editing = MaskEditing.install(self)  # brush, eraser, polygon, clean-up
        self.video = VideoStudio.install(self)  # timeline, playback, tracking, track edits
        self.review = ReviewMode.install(self)  # review queue, accept/reject, workflow states
        self.activity = ActivityMonitor(self)  # active time per media item, for the statistics
        self._session_views.append(self.activity)
        self.prelabel = PrelabelStudio.install(self)  # SAM 3 "Find all", suggestions
        # A / R decide a suggestion Find All shows, else the review item (one key each).
        self.review.suggestion_decider = self.prelabel.decide_if_suggestion
        self.team = TeamMenu.install(self)  # File > Team: work packages
        self._watch_edits()
        self.show_start_page()

    def _watch_edits(self) -> None:
        """What read-only mode switches off: every action that changes the project."""
        a, tools, v = self.actions, self.editing.tool_actions, self.video.actions
        edits = [a.import_media, a.undo, a.redo, a.new_object, a.delete_object]
        edits += [act for name, act in tools.items() if name != "prompt"]
        edits += [self.editing.smaller, self.editing.bigger, *self.editing.cleanup_actions]
        edits += [v.track_forward, v.track_backward, v.track_both, v.delete_range, v.split_track]
        edits += [v.merge_menu.menuAction(), v.label_menu.menuAction()]
        self.read_only.watch(edits, [self.label_panel, self.object_panel, self.media_dock])

    # -- layout helpers --------------------------------------------------------------------
    def _wrap(self, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title}Dock")
        dock.setWidget(widget)
        if hasattr(widget, "set_session"):
            self._session_views.append(widget)
        return dock

    def add_dock(self, dock: QDockWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """Add a dock; if it (or its widget) has ``set_session``, it follows the open project."""
        self.addDockWidget(area, dock)
        self.actions.docks_menu.addAction(dock.toggleViewAction())
        for view in (dock, dock.widget()):
            if hasattr(view, "set_session") and view not in self._session_views:
                self._session_views.append(view)
                if self.session is not None:
                    view.set_session(self.session)
        return dock

    def _wire(self) -> None:
        a, tool = self.actions, self.canvas.prompt_tool
        tool.pointRequested.connect(lambda p: self.controller and self.controller.add_point(p))
        tool.boxRequested.connect(lambda b: self.controller and self.controller.add_box(b))
        tool.removeRequested.connect(
            lambda x, y, r: self.controller and self.controller.remove_nearest(x, y, r)
        )
        self.canvas.cursorMoved.connect(self._show_cursor)
        self.canvas.zoomChanged.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.start_page.newRequested.connect(lambda: project_actions.new_project(self))
        self.start_page.openRequested.connect(lambda: project_actions.open_project(self))
        self.start_page.demoRequested.connect(lambda: project_actions.open_demo(self))
        self.start_page.recentChosen.connect(self.open_project)
        a.new_project.triggered.connect(lambda: project_actions.new_project(self))
        a.open_project.triggered.connect(lambda: project_actions.open_project(self))
        a.open_read_only.triggered.connect(lambda: project_actions.open_project(self, True))
        a.open_demo.triggered.connect(lambda: project_actions.open_demo(self))
        a.recent_menu.aboutToShow.connect(lambda: project_actions.fill_recent_menu(self))
        a.import_media.triggered.connect(self.media_dock.choose_and_import)
        a.export.triggered.connect(lambda: project_actions.export(self))
        a.close_project.triggered.connect(self.close_project)
        a.quit.triggered.connect(lambda: quit_flow.quit_application(self.context, self))
        a.close_window.triggered.connect(self.close)
        a.undo.triggered.connect(lambda: self.session and self.session.undo_stack.undo())
        a.redo.triggered.connect(lambda: self.session and self.session.undo_stack.redo())
        a.new_object.triggered.connect(lambda: self.controller and self.controller.new_object())
        a.cancel.triggered.connect(self.cancel)
        a.next_object.triggered.connect(lambda: self.controller and self.controller.cycle_object(1))
        a.previous_object.triggered.connect(
            lambda: self.controller and self.controller.cycle_object(-1)
        )
        a.delete_object.triggered.connect(
            lambda: self.controller and self.controller.delete_selected()
        )
        a.zoom_in.triggered.connect(self.canvas.zoom_in)
        a.zoom_out.triggered.connect(self.canvas.zoom_out)
        a.zoom_fit.triggered.connect(self.canvas.fit)
        a.zoom_actual.triggered.connect(self.canvas.actual_size)
        a.previous_media.triggered.connect(lambda: self.go_to_neighbour(-1))
        a.next_media.triggered.connect(lambda: self.go_to_neighbour(1))
        a.next_unannotated.triggered.connect(self.go_to_next_unannotated)
        for n, action in enumerate(a.pick_label, start=1):
            action.triggered.connect(lambda _=False, n=n: self.label_panel.pick(n))
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.about.triggered.connect(self._about)
        for source in (self.media_dock, self.label_panel, self.object_panel, self.model_setup):
            getattr(source, "errorOccurred", getattr(source, "messageShown", None)).connect(
                self.show_error
            )
        self.model_panel.configChanged.connect(self.context.remember_model)
        panel, setup = self.model_panel, self.model_setup
        panel.downloadRequested.connect(setup.start_download)
        panel.chooseFileRequested.connect(lambda model: setup.choose_file(model=model))
        panel.importRequested.connect(lambda: setup.choose_import())
        setup.checkpointChosen.connect(self._remember_checkpoint)
        setup.modelImported.connect(self._use_imported_model)
        self.client.stateChanged.connect(self._show_model_state)
        # Bound methods only on the shared client: Qt drops them when this window is deleted.
        self.client.deviceKnown.connect(self._show_device)
        self._show_model_state(self.client.state, self.client.state_detail)
        if self.client.device:
            self._show_device(self.client.device)

    # -- projects --------------------------------------------------------------------------
    def open_project(self, path: str | Path, read_only: bool = False) -> bool:
        """Open a project folder or its project.vseg in this window (closing the current one).

        A project another process is writing is offered read-only (``lock_dialog``); one whose
        folder cannot be written opens read-only by itself.
        """
        try:
            project = Project.open(path, read_only=read_only)
        except ReadOnlyAdvisedError as exc:  # in use elsewhere, or its lock cannot be taken
            self.last_error = str(exc)
            title = "Project in use" if isinstance(exc, ProjectLockedError) else "Project locked"
            self.lock_dialog = offer_read_only(self, path, str(exc), title)
            return False
        except VideoSegError as exc:
            self.show_error(f"Could not open {path}: {exc}")
            if not (Path(path) / DB_NAME).exists() and not Path(path).is_file():
                self.context.preferences.remove_recent(path)
            return False
        self.attach_project(project)
        return True

    def _user_clicking(self) -> bool:
        """A click waits, or came in the last two seconds: background builds stand aside (read
        from the scrub-build thread; UserRequests is thread-safe)."""
        requests = self.client.worker.user_requests
        return requests.waiting() or requests.quiet_s() < USER_ACTIVE_S

    def attach_project(self, project: Project) -> None:
        self.close_project()
        self.read_only.set_active(False)
        apply_user(project, resolve_user(self.context.preferences))  # the author of every write
        self.session = ProjectSession(project, self)
        self.session.scrub_builds.user_active = self._user_clicking
        self.presenter = CanvasPresenter(self.session, self.canvas, self)
        self.controller = AnnotationController(self.session, self.client, self)
        self.controller.mask_hook = self.presenter.prime
        for source in (self.session, self.presenter, self.controller):
            source.errorOccurred.connect(self.show_error)
        self.controller.statusMessage.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.controller.maskApplied.connect(self.model_panel.show_wait)
        self.session.undo_stack.canUndoChanged.connect(self.actions.undo.setEnabled)
        self.session.undo_stack.canRedoChanged.connect(self.actions.redo.setEnabled)
        for view in self._session_views:
            view.set_session(self.session)
        self.session.restore()
        self.context.preferences.add_recent(project.root)
        self.setWindowTitle(window_title(project.name, project.read_only))
        self._set_project_ui(True)
        self.canvas.setFocus()
        self.sessionChanged.emit(self.session)
        self.read_only.set_active(project.read_only, project.read_only_reason)
        if project.read_only:
            self.statusBar().showMessage(
                f"{project.name} is open read-only ({project.read_only_reason}): you can look "
                "and export; changes cannot be saved.",
                15000,
            )
        project_actions.report_changed_media(self, project)

    def close_project(self) -> None:
        if self.session is None:
            return
        session, self.session = self.session, None
        for view in self._session_views:
            view.set_session(None)
        self.controller.detach()
        for helper in (self.controller, self.presenter):
            helper.deleteLater()
        self.controller = self.presenter = None
        self.canvas.set_image(None)
        session.close()
        session.project.close()
        session.deleteLater()
        self.sessionChanged.emit(None)
        self.show_start_page()

    def show_start_page(self) -> None:
        self.read_only.set_active(False)
        self.setWindowTitle("VideoSeg Desktop")
        self.start_page.set_recent(self.context.preferences.recent_projects())
        self._set_project_ui(False)

    def _set_project_ui(self, open_: bool) -> None:
        self.stack.setCurrentWidget(self.canvas if open_ else self.start_page)
        for dock in self.findChildren(QDockWidget):
            dock.setVisible(open_ and not (hasattr(dock, "hidden_now") and dock.hidden_now()))
        if open_:
            self.model_dock.raise_()  # showing tabbed docks brings the last one shown forward
        for action in self.actions.project_actions():
            action.setEnabled(open_)
        if open_ and self.session is not None:
            self.actions.undo.setEnabled(self.session.undo_stack.canUndo())
            self.actions.redo.setEnabled(self.session.undo_stack.canRedo())

    # -- navigation ------------------------------------------------------------------------
    def go_to_neighbour(self, step: int) -> None:
        if self.session is None:
            return
        ids = self.media_dock.visible_ids() or self.session.media_ids()
        if not ids:
            return
        current = self.session.media_id
        index = ids.index(current) + step if current in ids else 0
        if 0 <= index < len(ids):
            self.session.set_media(ids[index])

    def go_to_next_unannotated(self) -> None:
        if self.session is None:
            return
        todo = [m.id for m in self.session.project.media.list("unannotated")]
        todo = [i for i in todo if i != self.session.media_id]
        if not todo:
            self.statusBar().showMessage("Every media item is annotated.", 5000)
            return
        later = [i for i in todo if i > self.session.media_id]
        self.session.set_media(later[0] if later else todo[0])

    def is_tracking(self) -> bool:
        tracking = self.video.tracking
        return tracking is not None and tracking.running

    def cancel(self) -> None:
        if not self.canvas.cancel_gesture() and self.controller is not None:
            self.controller.cancel()

    # -- messages --------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """Errors never block: a line in the status bar and a window-modal box opened async."""
        self.last_error = message
        self.statusBar().showMessage(message, 10000)
        if self.isVisible():
            box = message_box(self, "VideoSeg Desktop", message)  # selectable, URLs unbroken
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.finished.connect(self._refocus)
            box.open()

    def _refocus(self, *_args) -> None:
        """Give the keyboard back to the canvas after a dialog (not every window manager does)."""
        self.activateWindow()
        if self.session is not None:
            self.canvas.setFocus()

    def _remember_checkpoint(self, model: str, path: str) -> None:
        self.context.remember_checkpoint(model, path)
        self.model_panel.refresh_models()
        self.model_panel.show_config(self.client.config)

    def _use_imported_model(self, model: str) -> None:
        """Switch to a model the user just imported (the list shows it already)."""
        from dataclasses import replace

        self.model_panel.refresh_models()
        config = replace(self.client.config, model=model, checkpoint=None)
        self.client.configure(config)
        self.context.remember_model(config)
        self.model_panel.show_config(config)
        self.client.retry_load()
        self.statusBar().showMessage(f"Imported the model {model}; it is now in use.", 8000)

    def _show_device(self, device: str) -> None:
        self.device_label.setText(f"Device: {device}")

    def _show_cursor(self, x: float, y: float) -> None:
        self.cursor_label.setText("" if x < 0 else f"x {int(x)}, y {int(y)}")

    def _show_model_state(self, state: str, detail: str) -> None:
        model = self.client.config.model
        shown = detail if state == "ready" and detail else f"{model} ({state})"
        self.model_label.setText(f"Model: {shown}")

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.actions.all(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._refocus)
        dialog.open()
        return dialog

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About VideoSeg Desktop",
            f"VideoSeg Desktop {__version__}\nSegmentation training data with SAM 2.1, run locally.",
        )

    # -- events ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        # torch is imported on the worker thread only once the window is up.
        QTimer.singleShot(300, self.client.warm_up)

    def save_layout(self) -> None:
        """Window size, position and dock layout, for the next start."""
        self.context.preferences.set(
            "window_layout",
            {
                "geometry": bytes(self.saveGeometry().toBase64()).decode("ascii"),
                "state": bytes(self.saveState().toBase64()).decode("ascii"),
            },
        )

    def restore_layout(self) -> None:
        saved = self.context.preferences.get("window_layout") or {}
        if isinstance(saved, dict) and saved.get("geometry"):
            self.restoreGeometry(QByteArray.fromBase64(saved["geometry"].encode("ascii")))
            self.restoreState(QByteArray.fromBase64(saved.get("state", "").encode("ascii")))
            self._set_project_ui(self.session is not None)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.session is not None:
            self.save_layout()
        self.close_project()
        if self in self.context.windows:
            self.context.windows.remove(self)
        event.accept()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        paths = dropped_paths(event.mimeData())
        projects = [p for p in paths if p.suffix == ".vseg" or (p / DB_NAME).is_file()]
        if projects:
            self.open_project(projects[0])
        elif paths and self.session is not None:
            self.media_dock.import_paths(paths)
        event.acceptProposedAction()


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless area that scrolls vertically when the dock is short."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
