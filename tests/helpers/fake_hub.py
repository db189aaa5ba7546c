"""A local stand-in for the Hugging Face hub: the two endpoints ``huggingface_hub`` uses to
download a model (repository info, then each file by HEAD and ranged GET), a gated mode, and
connections dropped mid-file, so download tests run the real client offline."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    """Serves ``repos[repo_id] = {filename: bytes}``; ``granted`` tokens may read gated repos."""

    def __init__(self) -> None:
        self.repos: dict[str, dict[str, bytes]] = {}
        self.gated: set[str] = set()
        self.granted: set[str] = set()
        self.requests: list[dict] = []
        self.drop_after: dict[str, int] = {}  # filename -> close the next GET after N bytes
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):
                self._serve(body=False)

            def do_GET(self):
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                path = self.path.split("?", 1)[0]
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ").strip() or None
                hub.requests.append(
                    {
                        "method": self.command,
                        "path": path,
                        "range": self.headers.get("Range"),
                        "token": token,
                    }
                )
                if path.startswith("/api/models/"):
                    return self._info(path.removeprefix("/api/models/"))
                if "/resolve/" in path:
                    repo, rest = path.lstrip("/").split("/resolve/", 1)
                    filename = rest.split("/", 1)[1]
                    return self._file(repo, filename, token, body)
                self._error(404, "RepoNotFound", "not found")

            def _info(self, rest: str) -> None:
                repo = rest.split("/revision/")[0]
                files = hub.repos.get(repo)
                if files is None:
                    return self._error(404, "RepoNotFound", "Repository not found")
                data = {
                    "id": repo,
                    "modelId": repo,
                    "sha": COMMIT,
                    "private": False,
                    "gated": "manual" if repo in hub.gated else False,
                    "siblings": [
                        {"rfilename": n, "size": len(b)} for n, b in sorted(files.items())
                    ],
                }
                self._send(200, json.dumps(data).encode(), {"Content-Type": "application/json"})

            def _file(self, repo: str, filename: str, token: str | None, body: bool) -> None:
                files = hub.repos.get(repo)
                if files is None or filename not in files:
                    return self._error(404, "EntryNotFound", "Entry not found")
                if repo in hub.gated and token not in hub.granted:
                    return self._error(
                        403,
                        "GatedRepo",
                        f"Access to model {repo} is restricted and you are not in the authorized list.",
                    )
                data = files[filename]
                headers = {
                    "X-Repo-Commit": COMMIT,
                    "ETag": '"' + hashlib.sha256(data).hexdigest() + '"',
                    "Accept-Ranges": "bytes",
                }
                start = 0
                rng = self.headers.get("Range")
                status = 200
                if rng and body:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                chunk = data[start:]
                headers["Content-Length"] = str(len(chunk) if body else len(data))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if not body:
                    return
                cut = hub.drop_after.pop(filename, None)
                if cut is not None:
                    self.wfile.write(chunk[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(chunk)

            def _error(self, status: int, code: str, message: str) -> None:
                self._send(
                    status,
                    json.dumps({"error": message}).encode(),
                    {
                        "X-Error-Code": code,
                        "X-Error-Message": message,
                        "Content-Type": "application/json",
                    },
                )

            def _send(self, status: int, data: bytes, headers: dict) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add_folder(self, repo_id: str, folder: Path, extra: dict[str, bytes] | None = None) -> None:
        files = {p.name: p.read_bytes() for p in Path(folder).iterdir() if p.is_file()}
        files.update(extra or {})
        self.repos[repo_id] = files

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
