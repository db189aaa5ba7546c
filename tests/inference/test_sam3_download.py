"""Downloading SAM 3 with huggingface_hub from a local stand-in for the hub (no internet)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.fake_hub import FakeHub
from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.sam3_download import (
    DownloadCancelled,
    download_sam3,
    fetch_licence,
    list_repo_files,
)
from videoseg_desktop.inference.sam3_registry import MARKER, find_sam3_model

REPO = "facebook/sam3"


@pytest.fixture
def hub(sam3_folder):
    hub = FakeHub()
    extra = {"sam3.pt": b"\x80\x04pickled checkpoint", "LICENSE": b"SAM License\nterms...\n"}
    hub.add_folder(REPO, sam3_folder, extra)
    hub.gated.add(REPO)
    hub.granted.add("good-token")
    yield hub
    hub.close()


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # no token from a real login
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return folder


def test_a_gated_repo_without_access_gets_one_line_with_the_page(hub, models_dir):
    for token in (None, "someone-else"):
        with pytest.raises(ModelError) as info:
            download_sam3(endpoint=hub.endpoint, token=token)
        message = str(info.value)
        assert "https://huggingface.co/facebook/sam3" in message and "request access" in message
        assert "\n" not in message
    assert find_sam3_model("sam3") is None


def test_download_with_the_users_token_fetches_only_model_files(hub, models_dir, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "good-token")  # what `hf auth login` users have too
    repo = list_repo_files(endpoint=hub.endpoint)
    assert "sam3.pt" not in repo.files and "model.safetensors" in repo.files
    assert fetch_licence(repo, endpoint=hub.endpoint).startswith("SAM License")
    seen: list[tuple[int, int]] = []
    folder = download_sam3(
        repo=repo, endpoint=hub.endpoint, progress=lambda d, t: seen.append((d, t))
    )
    assert folder == find_sam3_model("sam3") and (folder / MARKER).is_file()
    assert sorted(p.name for p in folder.iterdir()) == sorted(set(repo.files) | {MARKER})
    assert seen[-1] == (repo.total_bytes, repo.total_bytes)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert all(r["token"] in ("good-token", None) for r in hub.requests)
    assert not any(r["path"].endswith("sam3.pt") for r in hub.requests)
    assert download_sam3(endpoint=hub.endpoint) == folder  # already there: no request
    assert not any(".download" in p.name for p in folder.parent.iterdir())


def test_an_interrupted_download_resumes_where_it_stopped(hub, models_dir):
    repo = list_repo_files(endpoint=hub.endpoint, token="good-token")
    size = repo.files["model.safetensors"]
    state = {"stop": True}

    def cancel_half_way(done, total):
        if state["stop"] and done > repo.total_bytes - size // 2:
            raise DownloadCancelled()

    with pytest.raises(DownloadCancelled):
        download_sam3(
            repo=repo, token="good-token", endpoint=hub.endpoint, progress=cancel_half_way
        )
    assert find_sam3_model("sam3") is None
    state["stop"] = False
    hub.requests.clear()
    folder = download_sam3(
        repo=repo, token="good-token", endpoint=hub.endpoint, progress=cancel_half_way
    )
    ranges = [r["range"] for r in hub.requests if r["path"].endswith("model.safetensors")]
    assert any(r and int(r.removeprefix("bytes=").split("-")[0]) > 0 for r in ranges), ranges
    assert (folder / "model.safetensors").stat().st_size == size


def test_offline_says_which_files_to_put_where(models_dir):
    with pytest.raises(ModelError) as info:
        download_sam3(endpoint="http://127.0.0.1:9", token="x")  # nothing listens there
    message = str(info.value)
    assert "videoseg models import FOLDER --name sam3" in message
    assert str(models_dir / "sam3" / "sam3") in message and "\n" not in message


def test_a_repo_without_a_transformers_model_is_refused(hub, models_dir):
    hub.repos["someone/weights"] = {"sam3.pt": b"x", "config.json": b"{}"}
    with pytest.raises(ModelError, match="no SAM 3 model in transformers format"):
        list_repo_files("someone/weights", endpoint=hub.endpoint)


def test_cli_shows_the_licence_once_and_needs_it_accepted(hub, models_dir, monkeypatch, capsys):
    from videoseg_desktop.cli.main import main

    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", "good-token")
    assert main(["models", "download", "sam3"]) == 1  # no terminal to ask, no --accept-licence
    err = capsys.readouterr()
    assert "SAM License" in err.out and "not accepted" in err.err
    assert find_sam3_model("sam3") is None
    assert main(["models", "download", "sam3", "--accept-licence"]) == 0
    out = capsys.readouterr().out
    assert "saved to" in out and find_sam3_model("sam3") is not None
    assert os.path.isfile(models_dir / "sam3" / "LICENCE-ACCEPTED.json")
    assert main(["models", "download", "sam3"]) == 0
    assert "already downloaded" in capsys.readouterr().out
