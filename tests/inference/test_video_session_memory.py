"""SpilledFrameOutputs: a bounded RAM window over per-frame tracking outputs, exact on reload."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from videoseg_desktop.inference.track_memory import SpilledFrameOutputs  # noqa: E402


def _output(frame: int) -> dict:
    g = torch.Generator().manual_seed(frame)
    return {
        "maskmem_features": torch.randn(1, 64, 16, 16, generator=g).to(torch.bfloat16),
        "maskmem_pos_enc": None,
        "pred_masks": torch.randn(1, 1, 64, 64, generator=g) * 30,
        "obj_ptr": torch.randn(1, 256, generator=g),
        "object_score_logits": torch.randn(1, 1, generator=g),
    }


@pytest.fixture
def constants():
    return {"maskmem_pos_enc": [torch.randn(1, 64, 16, 16)]}


def _store(tmp_path, constants, ram_frames=3, num_frames=50):
    return SpilledFrameOutputs(tmp_path / "obj.bin", num_frames, ram_frames, constants, "cpu")


def _assert_same(a: dict, b: dict) -> None:
    for name in ("maskmem_features", "pred_masks", "obj_ptr", "object_score_logits"):
        assert a[name].dtype == b[name].dtype
        assert torch.equal(a[name], b[name]), name


def test_ram_window_is_bounded_and_spilled_outputs_return_bit_exact(tmp_path, constants):
    store = _store(tmp_path, constants)
    for frame in range(20):
        store[frame] = _output(frame)
        assert len(store.frames_in_ram) <= 3
    assert store.frames_in_ram == [17, 18, 19]
    assert len(store) == 20 and list(store) == list(range(20))
    assert store.spills == 17
    # 1 MiB of outputs would be in RAM without spilling; the file holds the evicted ones.
    assert (tmp_path / "obj.bin").stat().st_size > 0
    for frame in range(20):
        _assert_same(store[frame], _output(frame))
    assert store.loads == 20  # reading 0..16 back pushed 17..19 out of RAM too
    reloaded = store[0]
    assert reloaded["maskmem_pos_enc"][0].shape == (1, 64, 16, 16)
    assert torch.equal(reloaded["maskmem_pos_enc"][0], constants["maskmem_pos_enc"][0])


def test_missing_frames_read_as_default_without_disk_access(tmp_path, constants):
    store = _store(tmp_path, constants)
    assert store.get(5) is None and store.get(5, "x") == "x" and 5 not in store
    with pytest.raises(KeyError):
        store[5]
    assert store.loads == 0 and not (tmp_path / "obj.bin").exists()


def test_overwriting_a_spilled_frame_reuses_its_slot(tmp_path, constants):
    store = _store(tmp_path, constants, ram_frames=1)
    for frame in range(5):
        store[frame] = _output(frame)
    store[2] = _output(100)  # a re-tracked frame: its new output replaces the old slot
    store[3] = _output(3)
    _assert_same(store[2], _output(100))
    # Frames 0..4 have been on disk, each in one slot, however often they were rewritten.
    assert (tmp_path / "obj.bin").stat().st_size == 5 * store._slot_bytes


def test_delete_pop_and_contains_cover_ram_and_disk(tmp_path, constants):
    store = _store(tmp_path, constants, ram_frames=2)
    for frame in range(6):
        store[frame] = _output(frame)
    assert 0 in store and 5 in store
    _assert_same(store.pop(0), _output(0))  # from disk
    del store[5]  # from RAM
    assert 0 not in store and 5 not in store and len(store) == 4
    assert store.pop(0, None) is None
    with pytest.raises(KeyError):
        del store[0]


def test_clean_reloaded_outputs_are_not_written_again(tmp_path, constants):
    store = _store(tmp_path, constants, ram_frames=2)
    for frame in range(6):
        store[frame] = _output(frame)
    spills = store.spills
    for frame in range(4):  # reading back evicts other clean outputs: no writes needed
        store[frame]
    store[0]
    assert store.spills == spills + 2  # only frames 4 and 5, never written before


def test_a_changed_tensor_layout_is_refused(tmp_path, constants):
    store = _store(tmp_path, constants, ram_frames=1)
    store[0] = _output(0)
    odd = _output(1)
    odd["obj_ptr"] = odd["obj_ptr"].to(torch.bfloat16)
    store[1] = odd
    with pytest.raises(RuntimeError, match="obj_ptr"):
        store[2] = _output(2)


def test_frames_outside_the_video_are_refused(tmp_path, constants):
    store = _store(tmp_path, constants, num_frames=4)
    with pytest.raises(IndexError):
        store[4] = _output(4)
    assert -1 not in store and "x" not in store


def test_close_deletes_the_file(tmp_path, constants):
    store = _store(tmp_path, constants, ram_frames=1)
    for frame in range(3):
        store[frame] = _output(frame)
    store.close()
    assert not (tmp_path / "obj.bin").exists() and len(store) == 0
