"""File-menu actions that need dialogs: new, open, recent, demo, export."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.store import Project
from videoseg_desktop.ui.dialogs.new_project_dialog import NewProjectDialog
from videoseg_desktop.ui.preferences import data_dir

DEMO_FOLDER = "demo-project"


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


def open_project(window) -> bool:
    path, _ = QFileDialog.getOpenFileName(
        window, "Open project", str(Path.home()), "VideoSeg projects (project.vseg *.vseg)"
    )
    return window.open_project(path) if path else False


def open_demo(window, folder: Path | None = None) -> bool:
    """Render the demo project on first use (a few seconds), then open it."""
    from videoseg_desktop.demo import create_demo_project

    folder = folder or data_dir() / DEMO_FOLDER
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    window.statusBar().showMessage("Preparing the demo project…")
    try:
        root = create_demo_project(folder)
    except (VideoSegError, OSError) as exc:
        window.show_error(f"The demo project could not be created: {exc}")
        return False
    finally:
        QGuiApplication.restoreOverrideCursor()
    window.statusBar().clearMessage()
    return window.open_project(root)


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
