"""``videoseg-desktop [PATH]``: builds the application, its shared inference client and the window.

torch is not imported here: the window appears first, and the inference worker imports the
model code on its own thread afterwards.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from videoseg_desktop import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videoseg-desktop",
        description="Annotate images and videos with SAM 2.1. Opens PATH, a project folder or "
        "its project.vseg, or shows the start page.",
    )
    parser.add_argument("path", nargs="?", help="project folder or project.vseg to open")
    parser.add_argument("--model", help="model name (tiny, small, base_plus, large or imported)")
    parser.add_argument("--checkpoint", help="use the weights in this checkpoint file")
    parser.add_argument(
        "--image-size",
        type=int,
        choices=(256, 512, 1024),
        help="model input size (default: 512 on a CPU, 1024 on a GPU, or your last choice)",
    )
    parser.add_argument("--device", help="cuda, cuda:N, mps or cpu (default: best available)")
    parser.add_argument(
        "--new-instance", action="store_true", help="do not hand PATH to a running window"
    )
    parser.add_argument("--version", action="version", version=f"videoseg-desktop {__version__}")
    # For the installer's CI: open PATH, check the window shows it, exit 0 (or 1).
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser


def hands_off(args: argparse.Namespace) -> bool:
    """Whether this launch talks to a running instance of the same user and desktop session.

    Never for a smoke test: handed off, it would exit 0 having checked nothing, and a later launch
    could be handed to it as it exits.
    """
    return not (args.new_instance or args.smoke_test)


def _icon_dirs() -> list[Path]:
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller puts resources/ next to the code
    dirs = [Path(bundle) / "resources" / "icons"] if bundle else []
    return dirs + [Path(__file__).resolve().parents[2] / "resources" / "icons"]


def app_icon():
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for folder in _icon_dirs():
        for size in (16, 24, 32, 48, 64, 128, 256, 512):
            png = folder / f"videoseg-desktop-{size}.png"
            if png.is_file():
                icon.addFile(str(png))
        if not icon.isNull():
            break
    return icon


def open_window(context, path: str | None = None):
    from videoseg_desktop.ui.main_window import MainWindow

    window = MainWindow(context)
    window.setWindowIcon(app_icon())
    window.start_page.set_icon(app_icon())
    window.restore_layout()
    context.windows.append(window)
    window.show()
    if path:
        window.open_project(path)
    return window


def user_message(exc: BaseException) -> str:
    """What the window says about an error that reached the event loop."""
    import sqlite3

    from videoseg_desktop.core.errors import VideoSegError, describe_os_error

    if isinstance(exc, VideoSegError):
        return str(exc)
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    if isinstance(exc, sqlite3.Error):
        return f"database error: {exc}"
    return f"Unexpected error ({type(exc).__name__}: {exc}); details are in the log."


def install_error_dialogs(context) -> None:
    """An error that escapes a slot is shown in a dialog of the active window (the traceback
    goes to the log), instead of being printed where no user looks."""
    previous = sys.excepthook

    def hook(kind, exc, tb) -> None:
        if issubclass(kind, (KeyboardInterrupt, SystemExit)) or not context.windows:
            previous(kind, exc, tb)
            return
        logging.getLogger("videoseg_desktop").error("error in the window", exc_info=(kind, exc, tb))
        active = [w for w in context.windows if w.isActiveWindow()] or context.windows[-1:]
        active[0].show_error(user_message(exc))

    sys.excepthook = hook


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from videoseg_desktop.ui.app_context import AppContext, AppOptions
    from videoseg_desktop.ui.project.single_instance import (
        InstanceServer,
        forward_to_running_instance,
    )
    from videoseg_desktop.ui.quit_flow import quit_on_terminate

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("VideoSeg Desktop")
    app.setOrganizationName("VideoSeg")
    app.setWindowIcon(app_icon())
    path = str(Path(args.path).expanduser().absolute()) if args.path else None

    server = None
    if hands_off(args):
        running = forward_to_running_instance([path] if path else [])
        if running and path:
            return 0  # the running instance opens it in a new window
        if not running:
            server = InstanceServer()
            server.listen()

    context = AppContext(
        AppOptions.from_env(
            model=args.model,
            checkpoint=args.checkpoint,
            image_size=args.image_size,
            device=args.device,
        )
    )
    install_error_dialogs(context)
    window = open_window(context, path)
    if args.smoke_test:
        _exit_after_checking(app, window, path)
    if server is not None:
        server.open_requested.connect(lambda p: open_window(context, p))
    app.aboutToQuit.connect(context.shutdown)
    signal_timer = quit_on_terminate(context)
    code = app.exec()
    signal_timer.stop()
    if server is not None:
        server.close()
    return code


def _exit_after_checking(app, window, path: str | None) -> None:
    from PySide6.QtCore import QTimer

    def check() -> None:
        opened = window.session is not None if path else True
        ok = window.isVisible() and opened
        print(
            f"smoke test: window {'shows' if ok else 'does NOT show'} {path or 'the start page'}",
            flush=True,
        )
        app.exit(0 if ok else 1)

    QTimer.singleShot(500, check)


if __name__ == "__main__":
    raise SystemExit(main())
