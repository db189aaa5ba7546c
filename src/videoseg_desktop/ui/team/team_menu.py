"""File > Team: split into packages and merge them, on a background thread with progress.

The window plugs it in with one line, ``self.team = TeamMenu.install(self)``. A job works on its
own connection to the project (``Detached``): SQLite connections stay on their thread, and the
window's own connection is idle meanwhile (the progress dialog is window-modal). When a merge
ends, the window hears of every table at once and its undo history is cleared (its commands
refer to rows the merge may have replaced).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QMenu, QProgressDialog

from videoseg_desktop.core.errors import VideoSegError
from videoseg_desktop.core.text import plural
from videoseg_desktop.store.team_merge import merge_package
from videoseg_desktop.store.team_package import known_packages
from videoseg_desktop.store.team_split import Detached, split_project
from videoseg_desktop.ui.team.team_dialogs import MergeDialog, MergeSummaryDialog, SplitDialog

_TABLES = ("labels", "attributes", "media", "objects", "prompts", "masks", "review", "settings")


class TeamMenu(QObject):
    progressed = Signal(int, int, str)
    jobDone = Signal(object, object)  # (kind, result) or (kind, error text)
    mergeSummaryShown = Signal(object)  # the MergeSummaryDialog (tests read it)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.menu = QMenu("&Team", window)
        self.split_action = self.menu.addAction("&Split into packages…")
        self.merge_action = self.menu.addAction("&Merge packages…")
        file_menu = window.actions.file_menu
        actions = file_menu.actions()
        after = actions.index(window.actions.export) + 1
        file_menu.insertMenu(actions[after] if after < len(actions) else None, self.menu)
        self.split_action.triggered.connect(lambda: self.split())
        self.merge_action.triggered.connect(lambda: self.merge())
        self.progressed.connect(self._show_progress)
        self.jobDone.connect(self._job_done)
        window.sessionChanged.connect(self._session_changed)
        self.progress: QProgressDialog | None = None
        self.summary: MergeSummaryDialog | None = None
        self.busy = False
        self._session_changed(window.session)

    @classmethod
    def install(cls, window) -> TeamMenu:
        return cls(window)

    def _session_changed(self, session) -> None:
        writable = session is not None and not session.project.read_only
        self.menu.menuAction().setEnabled(session is not None)
        for action in (self.split_action, self.merge_action):
            action.setEnabled(writable)

    # -- split -----------------------------------------------------------------------------
    def split(self, dialog: SplitDialog | None = None) -> bool:
        """Ask what to split (or take a filled ``dialog``), then write the packages."""
        session = self.window.session
        if session is None or self.busy:
            return False
        project = session.project
        if dialog is None:
            dialog = SplitDialog(
                project.name, project.root.parent / f"{project.root.name}-packages"
            )
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
        annotators, out = dialog.annotators(), dialog.out_folder()
        by_frames, link = dialog.by_frames.isChecked(), dialog.link.isChecked()

        source = Detached.of(project)

        def work(progress):
            try:
                return split_project(source, out, annotators, by_frames, link, progress)
            finally:
                source.close()

        self._start("split", "Writing work packages…", work)
        return True

    # -- merge -----------------------------------------------------------------------------
    def merge(self, folders: list[Path] | None = None) -> bool:
        """Ask which packages to merge (or take ``folders``), then merge each in turn."""
        session = self.window.session
        if session is None or self.busy:
            return False
        project = session.project
        if folders is None:
            dialog = MergeDialog(known_packages(project.db.conn), self.window)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            folders = dialog.chosen()
        if not folders:
            return False

        source = Detached.of(project)

        def work(progress):
            db = source.db
            results = []
            try:
                for i, folder in enumerate(folders):
                    progress(i, len(folders), Path(folder).name)
                    try:
                        results.append((Path(folder), merge_package(source, folder)))
                    except VideoSegError as exc:
                        results.append((Path(folder), str(exc)))
                progress(len(folders), len(folders), "")
            finally:
                db.close()
            return results

        self._start("merge", "Merging work packages…", work)
        return True

    # -- the background job ----------------------------------------------------------------
    def _start(self, kind: str, text: str, work: Callable) -> None:
        self.busy = True
        self.progress = QProgressDialog(text, None, 0, 0, self.window)
        self.progress.setWindowTitle("Team")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.show()

        def run() -> None:
            try:
                result = work(
                    lambda done, total, detail="": self.progressed.emit(done, total, detail)
                )
            except VideoSegError as exc:
                self.jobDone.emit(kind, str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - shown to the user, never a dead thread
                self.jobDone.emit(kind, f"unexpected error: {exc}")
                return
            self.jobDone.emit(kind, result)

        threading.Thread(target=run, name=f"team-{kind}", daemon=True).start()

    def _show_progress(self, done: int, total: int, detail: str) -> None:
        progress = self.progress
        if progress is None:
            return
        # setValue of a modal progress dialog processes events: the job may finish (and drop
        # the dialog) inside it, so the label goes first and a local reference is kept.
        if detail:
            progress.setLabelText(detail)
        progress.setMaximum(max(total, 1))
        progress.setValue(done)

    def _job_done(self, kind: str, result) -> None:
        self.busy = False
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        if isinstance(result, str):
            self.window.show_error(f"The {kind} did not finish: {result}")
            return
        session = self.window.session
        if kind == "split":
            names = ", ".join(info.annotator for info in result)
            self.window.statusBar().showMessage(
                f"Wrote {plural(len(result), 'work package')} ({names}) to "
                f"{result[0].folder.parent}",
                15000,
            )
            return
        if session is not None and any(not isinstance(r, str) and r.changed for _, r in result):
            session.undo_stack.clear()
            with session.project.transaction():
                for table in _TABLES:  # the window's views reload what they show
                    session.project.db.changed(table)
        self.summary = MergeSummaryDialog(result, self.window)
        self.mergeSummaryShown.emit(self.summary)
        self.summary.open()
