"""Checking and installing SAM 3 model folders (transformers format) without running their code.

A model folder is untrusted input (downloaded, or handed over by a colleague). What is accepted:

- ``config.json`` of ``model_type`` ``sam3_video`` (images and videos) or ``sam3`` (images),
  naming no custom code (no ``auto_map``), and only the architectures transformers ships;
- weights as safetensors only (``model.safetensors`` or shards with their index): never a
  pickled ``.bin``/``.pt``, which could execute code when loaded;
- the processor and tokenizer files, again without ``auto_map`` and with the classes we expect;
- weights whose names and shapes are exactly those of the architecture in ``config.json``
  (read from the safetensors headers against the model built on the ``meta`` device, so no
  weight is loaded): transformers would otherwise fill missing weights with random values.

Installing copies only the known files into ``<models dir>/sam3/<name>.part`` and renames it
when complete; Python files or pickles in the source folder are never copied. Loading uses
``from_pretrained(..., local_files_only=True, use_safetensors=True)`` and never
``trust_remote_code`` (see ``concept_engine.py``).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from videoseg_desktop.core.errors import ModelError
from videoseg_desktop.core.text import plural
from videoseg_desktop.inference.sam3_registry import (
    MODEL_TYPES,
    check_sam3_name,
    require_sam3_libraries,
    sam3_folder,
    write_marker,
)

MAX_JSON_BYTES = 32 * 1024 * 1024  # tokenizer.json is about 3.6 MB
ARCHITECTURES = {"sam3_video": {"Sam3VideoModel"}, "sam3": {"Sam3Model"}}
PROCESSOR_CLASSES = {"Sam3VideoProcessor", "Sam3Processor"}
TOKENIZER_CLASSES = {"CLIPTokenizer", "CLIPTokenizerFast"}
# Everything a model folder needs; nothing else is copied or downloaded.
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "model-*-of-*.safetensors",
    "model.safetensors.index.json",
    "processor_config.json",
    "preprocessor_config.json",
    "video_preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "LICENSE",
    "LICENSE.*",
    "README.md",
)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


@dataclass(frozen=True)
class FolderCheck:
    """What ``check_folder`` found: the model type and the files to copy."""

    model_type: str
    files: tuple[str, ...]
    weights: tuple[str, ...]
    size_bytes: int


def wanted(name: str) -> bool:
    """Whether a file of a model folder (or repository) is one we use."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in MODEL_FILES)


def check_folder(folder: Path, check_weights: bool = True) -> FolderCheck:
    """Check a SAM 3 model folder (see the module docstring); raises ModelError."""
    require_sam3_libraries()
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ModelError(
            f"{folder} is not a folder (a SAM 3 model is a folder in transformers format)"
        )
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    config = _json(folder, "config.json", required=True)
    model_type = config.get("model_type")
    if model_type not in MODEL_TYPES:
        raise ModelError(
            f"{folder} holds a {model_type!r} model, not SAM 3 (config.json model_type must be "
            f"one of {', '.join(MODEL_TYPES)})"
        )
    _no_custom_code(config, folder / "config.json")
    architectures = set(config.get("architectures") or ARCHITECTURES[model_type])
    if not architectures <= ARCHITECTURES[model_type]:
        raise ModelError(
            f"{folder / 'config.json'} names architectures {sorted(architectures)}; "
            f"expected {sorted(ARCHITECTURES[model_type])}"
        )
    weights = _weight_files(folder, names)
    processor = _processor_files(folder, names)
    tokenizer = _tokenizer_files(folder, names)
    files = tuple(n for n in names if wanted(n))
    size = sum((folder / n).stat().st_size for n in files)
    if check_weights:
        check_weight_shapes(folder, model_type, weights)
    del processor, tokenizer
    return FolderCheck(model_type, files, weights, size)


def _json(folder: Path, name: str, required: bool = False) -> dict:
    path = folder / name
    if not path.is_file():
        if required:
            raise ModelError(
                f"{folder} has no {name}: it is not a model folder in transformers format"
            )
        return {}
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ModelError(f"{path} is too large to be a configuration file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} is not a JSON object")
    return data


def _no_custom_code(data: dict, path: Path) -> None:
    """Refuse files that ask transformers to import code shipped with the model."""
    found = [key for key in ("auto_map", "custom_pipelines") if key in data]
    for value in data.values():
        if isinstance(value, dict) and "auto_map" in value:
            found.append("auto_map")
    if found:
        raise ModelError(
            f"{path} asks to run code shipped with the model ({found[0]}); VideoSeg Desktop only "
            "loads the SAM 3 code that comes with transformers"
        )


def _weight_files(folder: Path, names: list[str]) -> tuple[str, ...]:
    if "model.safetensors" in names:
        return ("model.safetensors",)
    shards = [n for n in names if fnmatch.fnmatchcase(n, "model-*-of-*.safetensors")]
    if shards:
        index = _json(folder, "model.safetensors.index.json", required=True)
        listed = set((index.get("weight_map") or {}).values())
        if not listed or not listed <= set(shards):
            raise ModelError(f"{folder}: model.safetensors.index.json names missing shards")
        return tuple(sorted(listed))
    pickles = [n for n in names if n.endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise ModelError(
            f"{folder} has weights only as {pickles[0]} (a pickle, which can run code when "
            "loaded); only safetensors weights are accepted: convert them to model.safetensors"
        )
    raise ModelError(f"{folder} has no model.safetensors")


def _processor_files(folder: Path, names: list[str]) -> list[str]:
    found = [n for n in ("processor_config.json", "preprocessor_config.json") if n in names]
    if not found:
        raise ModelError(
            f"{folder} has no processor_config.json (the image and video preprocessing settings "
            "that go with the weights)"
        )
    for name in found + [n for n in ("video_preprocessor_config.json",) if n in names]:
        data = _json(folder, name)
        _no_custom_code(data, folder / name)
        cls = data.get("processor_class")
        if cls is not None and cls not in PROCESSOR_CLASSES:
            raise ModelError(f"{folder / name} names processor {cls!r}, not a SAM 3 processor")
    return found


def _tokenizer_files(folder: Path, names: list[str]) -> list[str]:
    has_fast = "tokenizer.json" in names
    has_bpe = "vocab.json" in names and "merges.txt" in names
    if not (has_fast or has_bpe):
        raise ModelError(
            f"{folder} has no tokenizer (tokenizer.json, or vocab.json and merges.txt): SAM 3 "
            "needs it to read concept texts"
        )
    config = _json(folder, "tokenizer_config.json")
    _no_custom_code(config, folder / "tokenizer_config.json")
    cls = config.get("tokenizer_class")
    if cls is not None and cls not in TOKENIZER_CLASSES:
        raise ModelError(f"{folder / 'tokenizer_config.json'} names tokenizer {cls!r}, not CLIP's")
    return [n for n in ("tokenizer.json", "vocab.json", "merges.txt") if n in names]


def check_weight_shapes(folder: Path, model_type: str, weights: tuple[str, ...]) -> None:
    """Weight names and shapes in the safetensors headers must be exactly the architecture's.

    The architecture is built from ``config.json`` on the ``meta`` device (no memory, no
    weights read) and checkpoint names are mapped to it with the renamings ``from_pretrained``
    applies (transformers 5 renames some SAM 3 keys on load).
    """
    from safetensors import safe_open

    model = _meta_model(folder, model_type)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    rename = _checkpoint_renamer(model, expected)
    found: dict[str, tuple[int, ...]] = {}
    for name in weights:
        try:
            with safe_open(str(folder / name), framework="pt", device="cpu") as f:
                for key in f.keys():  # noqa: SIM118 - a safetensors handle, not a dict
                    found[rename(key)] = tuple(f.get_slice(key).get_shape())
        except Exception as exc:  # any unreadable user file is a user error
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelError(
                f"{folder / name} is not a readable safetensors file: {first}"
            ) from exc
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    wrong = [k for k in expected if k in found and found[k] != expected[k]]
    if missing or unexpected or wrong:
        details = []
        if missing:
            details.append(f"{plural(len(missing), 'missing weight')} (e.g. {missing[0]})")
        if unexpected:
            details.append(f"{plural(len(unexpected), 'unexpected weight')} (e.g. {unexpected[0]})")
        if wrong:
            k = wrong[0]
            details.append(
                f"{len(wrong)} of the wrong shape (e.g. {k}: {found[k]}, not {expected[k]})"
            )
        raise ModelError(
            f"the weights in {folder} do not fit its config.json: {'; '.join(details)}"
        )


def _meta_model(folder: Path, model_type: str):
    """The architecture of ``folder/config.json``, built without memory (meta tensors)."""
    import torch
    from transformers import Sam3Config, Sam3Model, Sam3VideoConfig, Sam3VideoModel

    config_class, model_class = (
        (Sam3VideoConfig, Sam3VideoModel) if model_type == "sam3_video" else (Sam3Config, Sam3Model)
    )
    try:
        config = config_class.from_pretrained(str(folder), local_files_only=True)
    except Exception as exc:  # a broken user file, whatever transformers raises
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(
            f"{folder / 'config.json'} is not a valid SAM 3 configuration: {first}"
        ) from exc
    with torch.device("meta"):
        return model_class(config)


def _checkpoint_renamer(model, expected: dict):
    """Checkpoint key -> model key, as ``from_pretrained`` maps them (transformers 5.23)."""
    from transformers.conversion_mapping import get_model_conversion_mapping
    from transformers.core_model_loading import WeightConverter, WeightRenaming, rename_source_key

    conversions = get_model_conversion_mapping(model)
    renamings = [c for c in conversions if isinstance(c, WeightRenaming)]
    converters = [c for c in conversions if isinstance(c, WeightConverter)]

    def rename(key: str) -> str:
        return rename_source_key(key, renamings, converters, model.base_model_prefix, expected)[0]

    return rename


def install_folder(source: Path, name: str, check: FolderCheck, label: str) -> Path:
    """Copy the checked files of ``source`` to the models folder as model ``name``, atomically."""
    dest = sam3_folder(name)
    if dest.exists():
        raise ModelError(f"{dest} already exists; choose another --name or delete it first")
    part = dest.with_name(dest.name + ".part")
    if part.exists():
        shutil.rmtree(part)
    part.mkdir(parents=True)
    try:
        for file in check.files:
            shutil.copyfile(Path(source) / file, part / file)
        write_marker(part, check.model_type, label, check.size_bytes)
        os.replace(part, dest)
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        raise ModelError(f"cannot copy the model into {dest}: {exc.strerror or exc}") from exc
    return dest


def import_sam3_folder(path: Path, name: str | None = None) -> Path:
    """Check a SAM 3 model folder and install it as ``name`` (default: the folder's name)."""
    source = Path(path).expanduser()
    check = check_folder(source)
    if name is None:
        stem = "".join(c if c.isalnum() or c in "_-." else "_" for c in source.name).strip("._-")
        name = stem[:64] or "sam3-imported"
    name = check_sam3_name(name, allow_official=True)
    return install_folder(source, name, check, str(source.resolve()))
