"""One running app per user and desktop session: a second launch hands its project path to the
first and exits.

Double-clicking a second project.vseg thus opens it in the running instance (which opens it in a
new window) instead of starting another process that would compete for the GPU and the lock.
The hand-off is keyed on the user *and* the session (X11 display, Wayland display, logind
session, Windows session, macOS security session): a launch from another login on the same
machine must never open its project in a window the launching user cannot see (issue #12).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1500


# What tells one desktop session from another, in the order they are joined into the key.
SESSION_VARIABLES = ("WAYLAND_DISPLAY", "DISPLAY", "XDG_SESSION_ID", "SECURITYSESSIONID")


def windows_session_id() -> int | None:
    """The Windows session (Remote Desktop or fast user switching) this process runs in."""
    if sys.platform != "win32":
        return None
    import ctypes

    session = ctypes.c_ulong()
    pid = ctypes.windll.kernel32.GetCurrentProcessId()
    if not ctypes.windll.kernel32.ProcessIdToSessionId(pid, ctypes.byref(session)):
        return None
    return int(session.value)


def session_key(env: dict | None = None, windows_session: int | None = None) -> str:
    """A short name for this desktop session; the same for every launch from it."""
    env = os.environ if env is None else env
    parts = [f"{name}={env[name]}" for name in SESSION_VARIABLES if env.get(name)]
    if windows_session is not None:
        parts.append(f"WINSESSION={windows_session}")
    if not parts:
        return "nosession"
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


def server_name(app_id: str = "videoseg-desktop", env: dict | None = None) -> str:
    windows = windows_session_id() if env is None else None
    user = re.sub(r"[^A-Za-z0-9_.-]", "_", getpass.getuser())
    return f"{app_id}-{user}-{session_key(env, windows)}"


def forward_to_running_instance(paths: list[str], name: str | None = None) -> bool:
    """Send ``paths`` to an already running instance; False when none is running."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(_TIMEOUT_MS):
        return False
    socket.write(json.dumps({"open": paths}).encode() + b"\n")
    socket.flush()
    ok = socket.bytesToWrite() == 0 or socket.waitForBytesWritten(_TIMEOUT_MS)
    socket.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    """Listens for later launches; emits ``open_requested(path)`` for each path they send."""

    open_requested = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._name = name or server_name()
        self._server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        if self._server.listen(self._name):
            return True
        # A crashed instance leaves its socket file behind: remove it and try once more.
        QLocalServer.removeServer(self._name)
        return self._server.listen(self._name)

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        socket = self._server.nextPendingConnection()
        buffer = bytearray()

        def read() -> None:
            buffer.extend(bytes(socket.readAll()))
            if b"\n" not in buffer:
                return
            try:
                message = json.loads(buffer.split(b"\n", 1)[0])
            except ValueError:
                return
            for path in message.get("open", []):
                if isinstance(path, str) and path:
                    self.open_requested.emit(path)

        socket.readyRead.connect(read)
        socket.disconnected.connect(socket.deleteLater)
