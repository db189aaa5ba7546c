"""Loading, validating and importing checkpoints (random weights in the official format)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.inference import registry
from videoseg_desktop.inference.checkpoint import (
    build_predictor,
    detect_config,
    import_checkpoint,
    load_state_dict,
    validate_checkpoint,
)


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(registry.MODELS_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def random_state(random_checkpoint) -> dict:
    return load_state_dict(random_checkpoint)


class _RunsCodeWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_build_predictor_loads_the_weights(random_checkpoint, random_state):
    import torch

    predictor = build_predictor("tiny", random_checkpoint, 256, "cpu")
    loaded = predictor.state_dict()
    for key in (
        "image_encoder.trunk.pos_embed",
        "sam_mask_decoder.iou_prediction_head.layers.0.weight",
    ):
        assert torch.equal(loaded[key], random_state[key])
    assert predictor.image_size == 256 and not predictor.training


def test_pickles_that_carry_code_are_refused_without_running_it(tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"model": {"w": _RunsCodeWhenUnpickled(marker)}}, protocol=2))
    with pytest.raises(ModelError, match="could run code") as err:
        load_state_dict(evil)
    assert "weights_only" not in str(err.value)  # torch's advice to retry unsafely is not passed on
    assert not marker.exists()


def test_wrong_formats_give_clear_errors(tmp_path):
    import torch

    with pytest.raises(ModelError, match="not found"):
        load_state_dict(tmp_path / "nope.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelError, match="not a loadable"):
        load_state_dict(junk)
    wrong = tmp_path / "wrong.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}}, wrong)
    with pytest.raises(ModelError, match='format {"model": state_dict}'):
        load_state_dict(wrong)


def test_nan_or_infinite_weights_are_refused(random_state, tmp_path):
    import torch

    for bad in (float("nan"), float("inf")):
        state = {k: v.clone() for k, v in random_state.items()}
        key = next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 3)
        state[key].view(-1)[2] = bad
        path = tmp_path / "diverged.pt"
        torch.save({"model": state}, path)
        with pytest.raises(ModelError, match="NaN or infinite weights") as err:
            load_state_dict(path)
        assert key in str(err.value)


def test_garbage_gives_a_sentence_not_a_number(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_text("hello\n")  # torch raises KeyError('101') here
    with pytest.raises(ModelError, match="damaged or is not a PyTorch checkpoint"):
        load_state_dict(junk)


def test_truncated_checkpoint_is_refused(random_checkpoint, tmp_path):
    cut = tmp_path / "cut.pt"
    with open(random_checkpoint, "rb") as f:
        cut.write_bytes(f.read(5_000_000))
    with pytest.raises(ModelError, match="not a loadable"):
        load_state_dict(cut)


def test_validation_names_the_mismatch(random_checkpoint, random_state, tmp_path):
    import torch

    assert validate_checkpoint(random_checkpoint, "tiny").keys() == random_state.keys()
    with pytest.raises(ModelError, match=r"does not match the small model: \d+ missing weights"):
        validate_checkpoint(random_checkpoint, "small")
    reshaped = dict(random_state)
    reshaped["no_mem_embed"] = torch.zeros(1, 1, 7)
    bad = tmp_path / "bad.pt"
    torch.save({"model": reshaped}, bad)
    with pytest.raises(ModelError, match=r"wrong shape \(e.g. no_mem_embed: \(1, 1, 7\)"):
        validate_checkpoint(bad, "tiny")


def test_config_is_detected_from_the_weights(random_state):
    assert detect_config(random_state) == "tiny"
    assert detect_config({k: v for k, v in list(random_state.items())[:-1]}) is None


def test_import_copies_a_checkpoint_and_registers_it(models_dir, random_checkpoint):
    dest = import_checkpoint(random_checkpoint, "tiny", name="my-ft")
    assert dest == models_dir / "my-ft.pt"
    assert dest.read_bytes() == random_checkpoint.read_bytes()
    assert registry.config_for("my-ft") == registry.CONFIGS["tiny"]
    assert registry.find_checkpoint("my-ft") == dest
    assert not list(models_dir.glob("*.part"))
    with pytest.raises(ModelError, match="already exists"):
        import_checkpoint(random_checkpoint, "tiny", name="my-ft")


def test_import_detects_the_config_and_drops_training_state(models_dir, random_state, tmp_path):
    import torch

    training = tmp_path / "epoch 3.pt"
    torch.save({"model": random_state, "optimizer": {"lr": 0.1}, "epoch": 3}, training)
    dest = import_checkpoint(training)
    assert dest == models_dir / "epoch_3.pt"
    assert set(torch.load(dest, weights_only=True)) == {"model"}
    assert validate_checkpoint(dest, "tiny").keys() == random_state.keys()


def test_importing_the_official_file_installs_it_as_that_model(
    models_dir, random_checkpoint, tmp_path
):
    download = tmp_path / "Downloads" / "sam2.1_hiera_tiny.pt"
    download.parent.mkdir()
    download.write_bytes(random_checkpoint.read_bytes())
    assert import_checkpoint(download) == models_dir / "sam2.1_hiera_tiny.pt"
    assert registry.find_checkpoint("tiny") == models_dir / "sam2.1_hiera_tiny.pt"
    assert not list(models_dir.glob("*.json"))


def test_refused_imports_leave_the_models_dir_untouched(models_dir, random_checkpoint, tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"model": {"w": _RunsCodeWhenUnpickled(marker)}}, protocol=2))
    with pytest.raises(ModelError, match="could run code"):
        import_checkpoint(evil, "tiny")
    with pytest.raises(ModelError, match="does not match the small model"):
        import_checkpoint(random_checkpoint, "small", name="x")
    with pytest.raises(ModelError, match="official model"):
        import_checkpoint(random_checkpoint, "tiny", name="large")
    with pytest.raises(ModelError, match="unknown model"):
        import_checkpoint(random_checkpoint, "huge")
    assert not marker.exists()
    assert not models_dir.exists() or not any(models_dir.iterdir())
