"""SAM 3 model folders: what is accepted, what is refused (one line), and installing them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.sam3_files import check_folder, import_sam3_folder
from videoseg_desktop.inference.sam3_registry import (
    MARKER,
    find_sam3_model,
    list_sam3_models,
    missing_sam3_error,
)


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def copy(tmp_path, sam3_folder):
    def make(name: str = "copy") -> Path:
        dest = tmp_path / name
        shutil.copytree(sam3_folder, dest)
        return dest

    return make


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_the_tiny_model_folder_is_accepted(sam3_folder):
    check = check_folder(sam3_folder)
    assert check.model_type == "sam3_video"
    assert check.weights == ("model.safetensors",)
    assert {"config.json", "processor_config.json", "tokenizer.json"} <= set(check.files)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "config.json").unlink(), "no config.json"),
        (lambda f: _edit_json(f / "config.json", model_type="sam2_video"), "not SAM 3"),
        (lambda f: _edit_json(f / "config.json", auto_map={"AutoModel": "x.Y"}), "code shipped"),
        (lambda f: _edit_json(f / "config.json", architectures=["EvilModel"]), "architectures"),
        (lambda f: (f / "processor_config.json").unlink(), "processor_config"),
        (lambda f: _edit_json(f / "processor_config.json", processor_class="Other"), "processor"),
        (lambda f: (f / "tokenizer.json").unlink(), "no tokenizer"),
        (lambda f: _edit_json(f / "tokenizer_config.json", tokenizer_class="Evil"), "tokenizer"),
        (lambda f: (f / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda f: (f / "model.safetensors").write_bytes(b"garbage"), "not a readable safetensors"),
    ],
)
def test_bad_folders_are_refused_in_one_line(copy, damage, message):
    folder = copy()
    damage(folder)
    with pytest.raises(ModelError, match=message) as info:
        check_folder(folder)
    assert "\n" not in str(info.value)


def test_pickled_weights_are_refused_and_never_copied(copy, models_dir):
    folder = copy()
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    with pytest.raises(ModelError, match="pickle"):
        check_folder(folder)
    ok = copy("with-extras")
    (ok / "pytorch_model.bin").write_bytes(b"\x80\x04not really")
    (ok / "modeling_evil.py").write_text("import os\n")
    dest = import_sam3_folder(ok, "mine")
    assert not (dest / "pytorch_model.bin").exists() and not (dest / "modeling_evil.py").exists()


def test_weights_must_fit_the_config(copy):
    from safetensors.torch import load_file, save_file

    folder = copy()
    weights = load_file(folder / "model.safetensors")
    name = next(k for k in weights if k.endswith("weight"))
    weights.pop(name)
    save_file(weights, folder / "model.safetensors")
    with pytest.raises(ModelError, match="do not fit its config.json: 1 missing"):
        check_folder(folder)
    config = json.loads((folder / "config.json").read_text())
    config["detector_config"]["detr_decoder_config"]["num_queries"] = 9
    shutil.copyfile(copy("fresh") / "model.safetensors", folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="wrong shape"):
        check_folder(folder)


def test_import_installs_atomically_and_lists_the_model(sam3_folder, models_dir):
    assert find_sam3_model("tiny3") is None
    with pytest.raises(ModelError, match="videoseg models import"):
        raise missing_sam3_error("tiny3")
    dest = import_sam3_folder(sam3_folder, "tiny3")
    assert find_sam3_model("tiny3") == dest and (dest / MARKER).is_file()
    rows = {r.name: r for r in list_sam3_models()}
    assert rows["tiny3"].downloaded and rows["tiny3"].imported and rows["tiny3"].handles_video
    assert rows["sam3"].downloaded is False  # the official one, not downloaded
    with pytest.raises(ModelError, match="already exists"):
        import_sam3_folder(sam3_folder, "tiny3")
    with pytest.raises(ModelError, match="official model"):
        import_sam3_folder(sam3_folder, "large")  # a SAM 2.1 name
    with pytest.raises(ModelError, match="invalid model name"):
        import_sam3_folder(sam3_folder, "../x")


def test_a_half_copied_folder_is_not_a_model(sam3_folder, models_dir):
    dest = import_sam3_folder(sam3_folder, "tiny3")
    (dest / MARKER).unlink()
    assert find_sam3_model("tiny3") is None
    assert "tiny3" not in {r.name for r in list_sam3_models()}
