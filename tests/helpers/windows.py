"""The real main window for pytest-qt tests, shown, on the test's inference client."""

from __future__ import annotations


def shown_window(qtbot, client):
    """A MainWindow (no start-up dialogs) shown and exposed; the caller closes it."""
    from videoseg_desktop.ui.app_context import AppContext
    from videoseg_desktop.ui.main_window import MainWindow
    from videoseg_desktop.ui.project.preferences import Preferences

    window = MainWindow(AppContext(preferences=Preferences(), client=client), False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window
