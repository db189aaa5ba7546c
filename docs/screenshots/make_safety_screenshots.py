"""Screenshots of read-only projects and I/O errors in the real window (run under Xvfb, with a
window manager so that the title bar is drawn; a random-weights checkpoint keeps the model
panel quiet):

    VIDEOSEG_CHECKPOINT=random.pt VIDEOSEG_IMAGE_SIZE=256 xvfb-run -a -s "-screen 0 1600x1000x24" \
        sh -c "twm & sleep 1; python docs/screenshots/make_safety_screenshots.py"

* ``read-only-locked.png``: the demo project is open for writing in another process; opening
  it offers Open Read-Only.
* ``read-only-window.png``: after Open Read-Only: "[read-only]" in the title, the reason in the
  status bar, editing actions and the panels' edit buttons off.
* ``io-error.png``: the disk fills up while a label is added: one dialog, which stays, and
  nothing is saved half-way.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
OUT = Path(__file__).resolve().parent


def settle(app, seconds: float = 1.0) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.03)


def shoot(app, name: str) -> None:
    settle(app)
    raw = OUT / f"{name}.raw.png"
    subprocess.run(["import", "-window", "root", str(raw)], check=True)
    subprocess.run(
        ["convert", str(raw), "+dither", "-colors", "192", f"PNG8:{OUT / name}.png"], check=True
    )
    raw.unlink()
    print(name, (OUT / f"{name}.png").stat().st_size // 1024, "KB")


def main() -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from videoseg_desktop.demo import create_demo_project
    from videoseg_desktop.store import Project
    from videoseg_desktop.ui.app_context import AppContext, AppOptions
    from videoseg_desktop.ui.main_window import MainWindow
    from videoseg_desktop.ui.project.preferences import Preferences

    tmp = Path(tempfile.mkdtemp())
    root = create_demo_project(tmp / "demo")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    context = AppContext(AppOptions.from_env(), preferences=Preferences(tmp / "prefs.json"))
    window = MainWindow(context)
    window.resize(1400, 900)
    window.move(40, 30)
    window.show()
    settle(app)

    holder = subprocess.Popen(  # "a colleague" has the project open for writing
        [sys.executable, "-c", "import sys, time; from videoseg_desktop.store import Project;"
         f" p = Project.open({str(root)!r}); print('open', flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    holder.stdout.readline()
    window.open_project(root)
    shoot(app, "read-only-locked")
    window.lock_dialog.property("open_read_only_button").click()
    settle(app, 2)
    window.session.set_media(2)
    shoot(app, "read-only-window")
    window.close_project()
    holder.kill()
    holder.wait()

    assert window.open_project(root)
    settle(app, 2)
    window.last_error = ""
    project = window.session.project
    pages = project.db.conn.execute("PRAGMA page_count").fetchone()[0]
    project.db.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    for n in range(300):
        if window.last_error:
            break
        window.label_panel.add_label(f"label {n} " + "y" * 80)
    assert any(w.isVisible() for w in window.findChildren(QMessageBox)), window.last_error
    shoot(app, "io-error")
    window.close()
    context.shutdown()


if __name__ == "__main__":
    main()
