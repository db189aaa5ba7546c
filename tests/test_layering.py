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
}
QT_OK = {"ui", "app"}
TORCH_OK = {"inference"}


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
            if top in {"torch", "sam2", "torchvision"} and layer not in TORCH_OK:
                found.append(f"{path.relative_to(PACKAGE)} imports {top}")
            if name.startswith("videoseg_desktop.") and layer in ALLOWED:
                target = name.split(".")[1]
                if target != layer and target not in ALLOWED[layer]:
                    found.append(f"{path.relative_to(PACKAGE)} ({layer}) imports {name}")
    return found


def test_layers_only_import_downwards():
    assert _violations() == []


def test_checker_catches_a_violation(tmp_path, monkeypatch):
    bad = PACKAGE / "core" / "_layering_probe.py"
    bad.write_text("import torch\nfrom videoseg_desktop.store import project\n")
    try:
        found = _violations()
    finally:
        bad.unlink()
    assert any("imports torch" in v for v in found)
    assert any("imports videoseg_desktop.store" in v for v in found)


def test_cli_and_non_model_packages_import_without_torch():
    import subprocess
    import sys

    code = (
        "import sys, videoseg_desktop.cli.main, videoseg_desktop.store, videoseg_desktop.media, "
        "videoseg_desktop.export, videoseg_desktop.inference;"
        "bad=[m for m in ('torch','sam2','PySide6') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
