"""One running app per user: a second launch hands its project path to the first and exits.

Double-clicking a second project.vseg thus opens it in the running instance (which opens it in a
new window) instead of starting another process that would compete for the GPU and the lock.
"""

from __future__ import annotations

import getpass
import json

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1500


def server_name(app_id: str = "videoseg-desktop") -> str:
    return f"{app_id}-{getpass.getuser()}"


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
