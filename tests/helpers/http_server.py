"""A local HTTP file server for download tests: Range requests, dropped connections, 404s."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path


class FileServer:
    """Serves ``files`` (name -> bytes or Path) with Range support and injectable failures."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | Path] = {}
        self.requests: list[dict] = []
        self.drop_after: int | None = None  # close the next response after this many bytes
        self.ignore_range = False
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append({"path": self.path, "range": self.headers.get("Range")})
                source = server.files.get(self.path.lstrip("/"))
                if source is None:
                    self.send_error(404, "Not Found")
                    return
                data = source.read_bytes() if isinstance(source, Path) else source
                start = 0
                header = self.headers.get("Range")
                if header and not server.ignore_range:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = memoryview(data)[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.drop_after is not None:
                    cut, server.drop_after = server.drop_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
