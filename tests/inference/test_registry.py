"""The model registry: names, URLs, where checkpoints live, and what is on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference import registry


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


def test_official_models_point_at_metas_sam2_1_files():
    base = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/"
    assert {name: spec.url for name, spec in registry.OFFICIAL_MODELS.items()} == {
        "tiny": base + "sam2.1_hiera_tiny.pt",
        "small": base + "sam2.1_hiera_small.pt",
        "base_plus": base + "sam2.1_hiera_base_plus.pt",
        "large": base + "sam2.1_hiera_large.pt",
    }
    sizes = [spec.size_bytes for spec in registry.OFFICIAL_MODELS.values()]
    assert sizes == sorted(sizes) and sizes[0] > 100_000_000
    assert registry.CONFIGS["base_plus"] == "configs/sam2.1/sam2.1_hiera_b+.yaml"


def test_models_dir_env_override_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(tmp_path / "x"))
    assert registry.models_dir() == tmp_path / "x"
    monkeypatch.delenv(registry.MODELS_DIR_ENV)
    default = registry.models_dir()
    assert default.name == "checkpoints" and "videoseg-desktop" in str(default)


def test_list_models_reports_what_is_downloaded(models_dir):
    rows = {row.name: row for row in registry.list_models()}
    assert list(rows) == ["tiny", "small", "base_plus", "large"]
    assert not any(row.downloaded for row in rows.values())
    assert rows["tiny"].path == models_dir / "sam2.1_hiera_tiny.pt"

    models_dir.mkdir()
    (models_dir / "sam2.1_hiera_small.pt").write_bytes(b"x")
    rows = {row.name: row for row in registry.list_models()}
    assert rows["small"].downloaded and not rows["tiny"].downloaded
    assert registry.find_checkpoint("small") == models_dir / "sam2.1_hiera_small.pt"
    assert registry.find_checkpoint("tiny") is None


def test_missing_checkpoint_error_says_where_to_put_the_file(models_dir):
    message = str(registry.missing_checkpoint_error("large"))
    assert registry.OFFICIAL_MODELS["large"].url in message
    assert str(models_dir / "sam2.1_hiera_large.pt") in message
    assert "videoseg models download large" in message


def test_imported_models_resolve_through_their_sidecar(models_dir):
    with pytest.raises(ModelError, match="unknown model"):
        registry.config_for("my-finetune")
    models_dir.mkdir()
    registry.write_sidecar("my-finetune", registry.CONFIGS["small"], "/somewhere/ft.pt")
    assert registry.config_for("my-finetune") == registry.CONFIGS["small"]
    assert registry.find_checkpoint("my-finetune") is None  # sidecar without weights
    (models_dir / "my-finetune.pt").write_bytes(b"weights")
    assert registry.find_checkpoint("my-finetune") == models_dir / "my-finetune.pt"
    row = registry.list_models()[-1]
    assert (row.name, row.imported, row.downloaded, row.size_bytes) == (
        "my-finetune",
        True,
        True,
        7,
    )
    assert json.loads((models_dir / "my-finetune.json").read_text())["source"] == "/somewhere/ft.pt"


@pytest.mark.parametrize("bad", ["tiny", "sam2.1_hiera_large", "../escape", "", "a b", "x" * 65])
def test_imported_names_cannot_shadow_official_models_or_escape(bad):
    with pytest.raises(ModelError):
        registry.validate_imported_name(bad)


@pytest.mark.parametrize(
    "bad", ["configs/custom.yaml", "../../x.yaml", "/tmp/evil.yaml", "evil.yml", "a/b", "..\\x"]
)
def test_config_files_and_paths_are_refused(bad):
    with pytest.raises(ModelError, match="not a model name"):
        registry.config_for(bad)


def test_official_configs_map_back_to_names():
    assert registry.config_for(registry.CONFIGS["small"]) == registry.CONFIGS["small"]
    assert registry.model_for_config(registry.CONFIGS["large"]) == "large"
    assert registry.model_for_config("configs/custom.yaml") is None


def test_registry_imports_without_torch():
    code = (
        "import sys, videoseg_desktop.inference.registry as r; r.list_models();"
        "sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
