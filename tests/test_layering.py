"""DESIGN.md's layering: lower layers never import higher ones; Qt only in ui/, torch only in inference/."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "videoseg_desktop"

# Which of our subpackages each layer may import.
ALLOWED = {
    "core": set(),
    "media": {"core"},
    "store": {"core", "media"},
    "export": {"core", "media", "store"},
    "inference": {"core", "media"},
    # Batch runs: workers run inference, the driver stores (docs/adr/0014).
    "batch": {"core", "media", "store", "inference"},
}
# Which rooms of ui/ each room may import (ui/'s top-level modules, main_window and friends, wire
# them together and may import any). A new room gets an entry here; a cycle is a design smell.
UI_ROOMS = {
    "theme": set(),  # icons and field behaviour: every room may use it
    "inference": {"theme"},
    "dialogs": {"inference", "theme"},
    "project": {"dialogs", "theme"},
    "canvas": {"project", "theme"},
    "editing": {"canvas", "project", "theme"},
    "annotation": {"canvas", "editing", "inference", "project", "theme"},
    "panels": {"canvas", "inference", "project", "theme"},
    "video": {"canvas", "inference", "panels", "project", "theme"},
    "review": {"project", "theme"},
    "prelabel": {"inference", "project", "theme"},
    "team": {"theme"},  # File > Team talks to the store only
}
QT_OK = {"ui", "app"}
TORCH_OK = {"inference"}
# Model libraries: slow to import, and only the engine needs them.
HEAVY = {"torch", "sam2", "torchvision", "transformers", "huggingface_hub", "safetensors"}
# Ray (the optional 'cluster' extra) is imported by one module, and only on --cluster.
RAY_OK = {"batch/ray_executor.py"}


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return (
        rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.stem != "__init__" else "root"
    )


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path}: use absolute imports so the layering stays visible")
    return names


def _violations() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        layer = _layer(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "PySide6" and layer not in QT_OK:
                found.append(f"{path.relative_to(PACKAGE)} imports PySide6")
            if top in HEAVY and layer not in TORCH_OK:
                found.append(f"{path.relative_to(PACKAGE)} imports {top}")
            if top == "ray" and path.relative_to(PACKAGE).as_posix() not in RAY_OK:
                found.append(f"{path.relative_to(PACKAGE)} imports ray")
            if name.startswith("videoseg_desktop.") and layer in ALLOWED:
                target = name.split(".")[1]
                if target != layer and target not in ALLOWED[layer]:
                    found.append(f"{path.relative_to(PACKAGE)} ({layer}) imports {name}")
    return found


def _ui_room(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE / "ui")
    return rel.parts[0] if len(rel.parts) > 1 else None


def _ui_violations() -> list[str]:
    found = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        room = _ui_room(path)
        if room is None:
            continue
        if room not in UI_ROOMS:
            found.append(f"ui/{room} is not a known room: add it to UI_ROOMS")
            continue
        for name in _imports(path):
            if name.startswith("videoseg_desktop.ui."):
                target = name.split(".")[2]
                if target != room and target not in UI_ROOMS[room]:
                    found.append(f"{path.relative_to(PACKAGE)} (ui/{room}) imports {name}")
    return found


def test_layers_only_import_downwards():
    assert _violations() == []


def test_ui_rooms_import_only_what_they_may():
    assert _ui_violations() == []


def test_ui_rooms_checker_catches_a_violation():
    bad = PACKAGE / "ui" / "canvas" / "_layering_probe.py"
    bad.write_text("from videoseg_desktop.ui.video import playback\n")
    try:
        found = _ui_violations()
    finally:
        bad.unlink()
    assert any("(ui/canvas) imports videoseg_desktop.ui.video" in v for v in found)


def test_checker_catches_a_violation(tmp_path, monkeypatch):
    bad = PACKAGE / "core" / "_layering_probe.py"
    bad.write_text("import torch\nimport ray\nfrom videoseg_desktop.store import project\n")
    try:
        found = _violations()
    finally:
        bad.unlink()
    assert any("imports torch" in v for v in found)
    assert any("imports ray" in v for v in found)
    assert any("imports videoseg_desktop.store" in v for v in found)


def test_cli_and_non_model_packages_import_without_torch():
    import subprocess
    import sys

    code = (
        "import sys, videoseg_desktop.cli.main, videoseg_desktop.store, videoseg_desktop.media, "
        "videoseg_desktop.export, videoseg_desktop.inference, videoseg_desktop.batch.track_batch, "
        "videoseg_desktop.cli.track_all, videoseg_desktop.cli.cluster_options;"
        "bad=[m for m in ('torch','sam2','PySide6','transformers','huggingface_hub','ray') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
