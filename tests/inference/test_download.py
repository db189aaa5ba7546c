"""Resumable, verified downloads against a local HTTP server (no internet needed)."""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers.http_server import FileServer
from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.download import download_checkpoint, download_model, fetch


@pytest.fixture
def server():
    s = FileServer()
    yield s
    s.close()


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


PAYLOAD = os.urandom(300_000)


def test_fetch_reports_progress_up_to_the_total(server, tmp_path):
    server.files["f.bin"] = PAYLOAD
    seen: list[tuple[int, int]] = []
    part = tmp_path / "f.bin.part"
    fetch(server.url("f.bin"), part, len(PAYLOAD), lambda done, total: seen.append((done, total)))
    assert part.read_bytes() == PAYLOAD
    assert seen[0] == (0, len(PAYLOAD)) and seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_fetch_resumes_an_interrupted_download_with_a_range_request(server, tmp_path):
    server.files["f.bin"] = PAYLOAD
    server.drop_after = 100_000
    part = tmp_path / "f.bin.part"
    with pytest.raises(Exception, match="closed before"):
        fetch(server.url("f.bin"), part, len(PAYLOAD))
    assert part.stat().st_size == 100_000
    seen = []
    fetch(server.url("f.bin"), part, len(PAYLOAD), lambda d, t: seen.append(d))
    assert server.requests[-1]["range"] == "bytes=100000-"
    assert seen[0] == 100_000
    assert part.read_bytes() == PAYLOAD


def test_fetch_starts_over_when_the_server_ignores_range(server, tmp_path):
    server.files["f.bin"] = PAYLOAD
    server.ignore_range = True
    part = tmp_path / "f.bin.part"
    part.write_bytes(b"stale prefix that must not stay")
    fetch(server.url("f.bin"), part, len(PAYLOAD))
    assert server.requests[-1]["range"] is not None
    assert part.read_bytes() == PAYLOAD


def test_fetch_starts_over_when_the_partial_file_is_longer_than_the_file(server, tmp_path):
    server.files["f.bin"] = PAYLOAD
    part = tmp_path / "f.bin.part"
    stale = PAYLOAD + b"left over from another version"
    part.write_bytes(stale)
    fetch(server.url("f.bin"), part)  # size unknown: the server's 416 tells
    assert [r["range"] for r in server.requests] == [f"bytes={len(stale)}-", None]
    assert part.read_bytes() == PAYLOAD


def test_cancelling_through_the_progress_callback_keeps_the_partial_file(server, tmp_path):
    server.files["f.bin"] = PAYLOAD * 8  # several chunks

    def cancel(done, total):
        if done > 0:
            raise KeyboardInterrupt

    part = tmp_path / "f.bin.part"
    with pytest.raises(KeyboardInterrupt):
        fetch(server.url("f.bin"), part, len(PAYLOAD) * 8, cancel)
    assert 0 < part.stat().st_size < len(PAYLOAD) * 8


def _spec_for(server, path: Path, **changes) -> registry.ModelSpec:
    server.files[path.name] = path
    spec = replace(
        registry.OFFICIAL_MODELS["tiny"],
        url=server.url(path.name),
        size_bytes=path.stat().st_size,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    return replace(spec, **changes)


def test_interrupted_checkpoint_download_resumes_verifies_and_renames(
    server, random_checkpoint, tmp_path
):
    spec = _spec_for(server, random_checkpoint)
    dest = tmp_path / "models" / "tiny.pt"
    server.drop_after = 40_000_000
    with pytest.raises(ModelError, match="again to resume") as failure:
        download_checkpoint(spec, dest=dest)
    assert spec.url in str(failure.value) and str(dest) in str(failure.value)
    assert not dest.exists()
    assert (tmp_path / "models" / "tiny.pt.part").stat().st_size == 40_000_000

    progress = []
    assert download_checkpoint(spec, lambda d, t: progress.append((d, t)), dest=dest) == dest
    assert server.requests[-1]["range"] == "bytes=40000000-"
    assert progress[-1] == (spec.size_bytes, spec.size_bytes)
    assert dest.read_bytes() == random_checkpoint.read_bytes()
    assert not (tmp_path / "models" / "tiny.pt.part").exists()
    # Present files are returned without touching the network.
    before = len(server.requests)
    assert download_checkpoint(spec, dest=dest) == dest and len(server.requests) == before


def test_garbage_with_the_right_size_and_hash_fails_the_load_check_and_is_deleted(server, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(os.urandom(50_000))
    spec = _spec_for(server, junk)
    dest = tmp_path / "models" / "tiny.pt"
    with pytest.raises(ModelError, match="corrupt and was deleted.*not a loadable"):
        download_checkpoint(spec, dest=dest)
    assert not dest.exists() and not dest.with_name("tiny.pt.part").exists()


def test_wrong_hash_and_wrong_size_are_refused(server, tmp_path):
    data = tmp_path / "data.pt"
    data.write_bytes(PAYLOAD)
    dest = tmp_path / "models" / "tiny.pt"
    with pytest.raises(ModelError, match="SHA-256"):
        download_checkpoint(_spec_for(server, data, sha256="0" * 64), dest=dest)
    with pytest.raises(ModelError, match="300000 bytes instead of 300001"):
        download_checkpoint(_spec_for(server, data, size_bytes=300_001), dest=dest)
    assert not dest.exists()


def test_unreachable_server_tells_where_to_put_the_file_by_hand(models_dir, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    url = f"http://127.0.0.1:{closed_port}/sam2.1_hiera_tiny.pt"
    monkeypatch.setitem(
        registry.OFFICIAL_MODELS, "tiny", replace(registry.OFFICIAL_MODELS["tiny"], url=url)
    )
    with pytest.raises(ModelError) as failure:
        download_model("tiny", timeout=5)
    message = str(failure.value)
    assert url in message
    assert str((models_dir / "sam2.1_hiera_tiny.pt").resolve()) in message
    assert "again to resume" not in message
    assert not (models_dir / "sam2.1_hiera_tiny.pt").exists()


def test_http_errors_are_model_errors(server, tmp_path):
    spec = replace(registry.OFFICIAL_MODELS["tiny"], url=server.url("missing.pt"))
    with pytest.raises(ModelError, match="404"):
        download_checkpoint(spec, dest=tmp_path / "x.pt")


def test_unknown_model_names_are_refused():
    with pytest.raises(ModelError, match="downloadable models: tiny, small"):
        download_model("huge")
