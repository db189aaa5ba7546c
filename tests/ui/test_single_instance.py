import uuid

import pytest

from videoseg_desktop.ui.project.single_instance import InstanceServer, forward_to_running_instance


def test_second_launch_hands_its_path_to_the_running_instance(qtbot):
    name = f"videoseg-test-{uuid.uuid4().hex[:8]}"
    assert forward_to_running_instance(["/x/project.vseg"], name) is False  # nobody running yet
    server = InstanceServer(name)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.open_requested, timeout=5000) as blocker:
            assert forward_to_running_instance(["/data/birds/project.vseg"], name)
        assert blocker.args == ["/data/birds/project.vseg"]
    finally:
        server.close()
        server.deleteLater()
        qtbot.wait(10)


def test_the_hand_off_is_keyed_on_the_desktop_session():
    from videoseg_desktop.ui.project.single_instance import server_name, session_key

    mine = server_name(env={"DISPLAY": ":0", "XDG_SESSION_ID": "3"})
    assert mine == server_name(env={"DISPLAY": ":0", "XDG_SESSION_ID": "3", "HOME": "/h"})
    others = [
        {"DISPLAY": ":1", "XDG_SESSION_ID": "3"},  # another X server (Xvfb, a second seat)
        {"DISPLAY": ":0", "XDG_SESSION_ID": "7"},  # another login
        {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_ID": "3"},
        {"SECURITYSESSIONID": "186a5"},  # macOS: another login window session
        {},
    ]
    assert len({mine, *(server_name(env=e) for e in others)}) == len(others) + 1
    # Windows: Remote Desktop and fast user switching sessions differ.
    assert session_key({}, windows_session=1) != session_key({}, windows_session=2)
    assert session_key({}, windows_session=1) == session_key({}, windows_session=1)
    assert all(c.isalnum() or c in "-_." for c in mine)  # a valid local socket name


def test_a_smoke_test_or_new_instance_is_never_handed_off():
    from videoseg_desktop.app import build_parser, hands_off

    parse = build_parser().parse_args
    assert hands_off(parse(["/p/project.vseg"]))
    assert not hands_off(parse(["--smoke-test", "/p/project.vseg"]))
    assert not hands_off(parse(["--new-instance", "/p/project.vseg"]))


def test_a_smoke_test_launch_checks_its_own_window_while_an_instance_runs(
    qtbot, tmp_path, monkeypatch
):
    """A real second launch in the same session: it must open the project itself and say so."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from videoseg_desktop.store import Project
    from videoseg_desktop.ui.project.single_instance import server_name

    root = tmp_path / "p"
    Project.create(root, name="smoke").close()
    env = dict(
        os.environ, DISPLAY=f":{uuid.uuid4().int % 10_000 + 500}", QT_QPA_PLATFORM="offscreen"
    )
    env.update(VIDEOSEG_CONFIG_DIR=str(tmp_path / "cfg"), VIDEOSEG_MODELS_DIR=str(tmp_path / "m"))
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    server = InstanceServer(server_name(env=env))
    assert server.listen()
    received = []
    server.open_requested.connect(received.append)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "videoseg_desktop.app", "--smoke-test", str(root)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=120_000)
        out = proc.stdout.read()
    finally:
        server.close()
        server.deleteLater()
        qtbot.wait(10)
    assert received == []
    assert proc.returncode == 0, out
    assert f"smoke test: window shows {root}" in out


def test_sigterm_closes_the_project_as_quit_does(tmp_path):
    """A logout or ``kill`` sends SIGTERM: the window quits as File > Quit does, so the project
    is closed properly (its -wal checkpointed away), not left mid-way by a killed process."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from videoseg_desktop.store import DB_NAME, Project

    if not hasattr(signal, "SIGTERM") or os.name != "posix":
        pytest.skip("POSIX signals")
    root = tmp_path / "p"
    Project.create(root, name="term").close()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.update(VIDEOSEG_CONFIG_DIR=str(tmp_path / "cfg"), VIDEOSEG_MODELS_DIR=str(tmp_path / "m"))
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "videoseg_desktop.app", "--new-instance", str(root)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lock, wal = root / f"{DB_NAME}.lock", root / f"{DB_NAME}-wal"
    try:
        deadline = time.monotonic() + 120
        while not (lock.exists() and wal.exists()) and proc.poll() is None:
            assert time.monotonic() < deadline, "the window never opened the project"
            time.sleep(0.1)
        time.sleep(3)  # the window is up and idle in its event loop
        assert proc.poll() is None, proc.stdout.read()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out  # not -15: it quit rather than died
    assert not wal.exists() or wal.stat().st_size == 0
