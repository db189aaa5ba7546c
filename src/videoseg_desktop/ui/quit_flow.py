"""File > Quit ends the application, every window of it; File > Close Window closes one.

Quit asks first when work would be cut short: tracking in any window (it stops and keeps the
frames stored so far) or an export (cancelled, nothing half-written is left). Exports run inside
their progress dialog's event processing, so they are cancelled and quitting waits until they have
unwound before the windows close their projects. SIGTERM or SIGHUP (a logout, ``kill``) quits
the same way without asking.
"""

from __future__ import annotations

import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from videoseg_desktop.core.text import plural
from videoseg_desktop.ui.dialogs.export_dialog import cancel_exports, running_exports


def busy_work(windows) -> list[str]:
    """What a quit would interrupt, as phrases for the question."""
    busy = []
    tracking = [w for w in windows if w.is_tracking()]
    if tracking:
        busy.append(f"tracking in {plural(len(tracking), 'window')}")
    if running_exports():
        busy.append(plural(running_exports(), "export"))
    return busy


def confirm_quit(parent, busy: list[str]) -> bool:
    answer = QMessageBox.question(
        parent,
        "Quit VideoSeg Desktop",
        f"Still running: {', '.join(busy)}. Quit anyway?\n\n"
        "Tracking stops and keeps the frames stored so far; an export is cancelled.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def quit_application(context, parent) -> bool:
    """Close every window of ``context`` and end the event loop; False if the user said no."""
    windows = list(dict.fromkeys([*context.windows, parent]))
    busy = busy_work(windows)
    if busy and not confirm_quit(parent, busy):
        return False
    cancel_exports()
    _close_all_when_idle(windows)
    return True


def quit_on_terminate(context) -> QTimer:
    """Route SIGTERM and SIGHUP to a quit without questions, so projects close as on File > Quit
    (their -wal checkpointed, locks and a read-only project's private copy removed) instead of
    the process dying mid-way. Python runs a signal handler only between its own bytecodes, which
    an idle Qt event loop never gives it: the returned timer (keep it) wakes Python every 200 ms."""

    def terminate(*_args) -> None:  # runs between two bytecodes of whatever Python was doing
        QTimer.singleShot(0, lambda: _quit_now(context))

    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, terminate)
    timer = QTimer()
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer


def _quit_now(context) -> None:
    cancel_exports()
    _close_all_when_idle(list(context.windows))


def _close_all_when_idle(windows) -> None:
    if running_exports():  # still unwinding inside a progress callback: try again shortly
        QTimer.singleShot(20, lambda: _close_all_when_idle(windows))
        return
    for window in windows:
        window.close()
    exit_application()


def exit_application() -> None:
    QApplication.quit()
