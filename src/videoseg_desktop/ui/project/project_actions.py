"""File-menu actions that need dialogs: new, open, recent, demo, export."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QProgressDialog

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store import Project
from videoseg_desktop.ui.dialogs.new_project_dialog import NewProjectDialog
from videoseg_desktop.ui.project.preferences import data_dir

DEMO_FOLDER = "demo-project"
log = logging.getLogger(__name__)


def new_project(window, folder: Path | None = None, name: str | None = None) -> bool:
    if folder is None:
        recent = window.context.preferences.recent_projects()
        start = Path(recent[0]).parent if recent else Path.home()
        dialog = NewProjectDialog(start, window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        folder, name = dialog.folder(), dialog.project_name()
    try:
        project = Project.create(folder, name=name)
    except VideoSegError as exc:
        window.show_error(str(exc))
        return False
    window.attach_project(project)
    return True


def open_project(window, read_only: bool = False) -> bool:
    title = "Open project read-only" if read_only else "Open project"
    path, _ = QFileDialog.getOpenFileName(
        window, title, str(Path.home()), "VideoSeg projects (project.vseg *.vseg)"
    )
    return window.open_project(path, read_only=read_only) if path else False


def open_demo(window, folder: Path | None = None) -> bool:
    """Render the demo project on first use (seconds, on a thread), then open it."""
    from videoseg_desktop.demo import create_demo_project

    folder = folder or data_dir() / DEMO_FOLDER
    outcome: dict = {}

    def make() -> None:
        try:
            outcome["root"] = create_demo_project(folder)
        except Exception as exc:  # reported below, on the GUI thread
            outcome["error"] = exc

    # The demo is a separate, new project (its own database connection, made and closed on the
    # thread), so nothing the window holds is touched meanwhile.
    thread = threading.Thread(target=make, name="demo-project", daemon=True)
    thread.start()
    dialog = QProgressDialog("Preparing the demo project…", None, 0, 0, window)
    dialog.setWindowTitle("Open demo")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    while thread.is_alive():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 30)
        thread.join(0.02)
    dialog.close()
    dialog.deleteLater()
    if "error" in outcome:
        window.show_error(f"The demo project could not be created: {outcome['error']}")
        return False
    return window.open_project(outcome["root"])


def fill_recent_menu(window) -> None:
    menu = window.actions.recent_menu
    menu.clear()
    recent = window.context.preferences.recent_projects()
    for root in recent:
        action = menu.addAction(root)
        action.triggered.connect(lambda _=False, r=root: window.open_project(r))
    if not recent:
        menu.addAction("No recent projects").setEnabled(False)


def export(window):
    if window.session is None:
        return None
    from videoseg_desktop.ui.dialogs.export_dialog import export_interactively

    return export_interactively(window.session.project, window.media_dock.selected_ids(), window)


class _MediaCheckRelay(QObject):
    """Brings the thread's finding to the GUI thread (a queued signal to a method of ours)."""

    found = Signal(str)

    def __init__(self, window, project) -> None:
        super().__init__(window)
        self.window, self.project = window, project
        self.found.connect(self._show)

    def _show(self, message: str) -> None:
        session = self.window.session
        if session is not None and session.project is self.project:
            self.window.show_error(message)


def report_changed_media(window, project: Project) -> threading.Thread:
    """Media files missing or of another size than imported: say so on open (a changed time
    alone only means they are hashed before tracking or export).

    The check stats every file (200,000 images take seconds), so it runs on a thread with its
    own read-only opening of the project; the window shows at once and the message follows."""
    relay = _MediaCheckRelay(window, project)
    root = project.root

    def check() -> None:
        try:
            with Project.open(root, read_only=True) as copy:
                message = _changed_media_message(copy)
        except VideoSegError:
            return
        except Exception:  # noqa: BLE001 - a convenience check must never take the window down
            log.exception("checking the media files of %s failed", root)
            return
        if message:
            relay.found.emit(message)

    thread = threading.Thread(target=check, name="media-check", daemon=True)
    thread.start()
    return thread


def _changed_media_message(project: Project) -> str | None:
    flagged = project.media_guard.flagged()
    bad = {i: why for i, why in flagged.items() if why != "modified"}
    if not bad:
        return None
    names = []
    for media_id in list(bad)[:5]:
        try:
            names.append(f"{project.media.get(media_id).original_name} ({bad[media_id]})")
        except VideoSegError:
            continue
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return (
        f"{plural(len(bad), 'media file')} changed or went missing since they were imported: "
        f"{', '.join(names)}{more}. They are not used for tracking or export until restored "
        f"(`videoseg check {project.root}` lists them)."
    )
