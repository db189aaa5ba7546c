#!/usr/bin/env bash
# Smoke-test a built bundle: both executables start, a project opens in the window (offscreen),
# a random-weights checkpoint in the official format loads and one click gives a stored mask.
# Usage: packaging/smoke_test_bundle.sh [dist/videoseg-desktop]
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "${1:-dist/videoseg-desktop}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QT_QPA_PLATFORM=offscreen
step() { printf '[smoke] %s\n' "$*" >&2; }

step "versions"
"$dist/videoseg" --version
"$dist/videoseg-desktop" --version

step "fixtures: an image and a random-weights checkpoint (made with the dev environment)"
.venv/bin/python - "$tmp" <<'PY'
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from videoseg_desktop.inference.checkpoint import save_random_checkpoint
tmp = Path(sys.argv[1])
img = np.full((240, 320, 3), 60, np.uint8)
img[80:160, 100:220] = (230, 150, 30)
Image.fromarray(img).save(tmp / "shapes.png")
save_random_checkpoint(tmp / "random.pt", "tiny", 256)
from tests.helpers.sam3 import save_tiny_sam3
save_tiny_sam3(tmp / "tiny-sam3")
PY

step "project, import, one click through the bundled torch + sam2"
"$dist/videoseg" new "$tmp/proj"
"$dist/videoseg" import "$tmp/proj" "$tmp/shapes.png"
"$dist/videoseg" segment "$tmp/proj" 1 --point 160,120 --checkpoint "$tmp/random.pt" --image-size 256 --device cpu
"$dist/videoseg" info "$tmp/proj" --json | grep -q '"masks": 1' || { step "no mask stored"; exit 1; }

step "SAM 3 through the bundled transformers and torchvision: import a model folder, pre-label"
export VIDEOSEG_MODELS_DIR="$tmp/models" HF_HUB_OFFLINE=1
"$dist/videoseg" models import "$tmp/tiny-sam3" --name tiny3
"$dist/videoseg" autolabel "$tmp/proj" --concept shape --model tiny3 --threshold 0 --device cpu --json
"$dist/videoseg" info "$tmp/proj" --json | grep -q '"auto": [1-9]' || { step "no SAM 3 mask stored"; exit 1; }

step "the window opens the project offscreen and exits 0"
start=$(date +%s%N)
"$dist/videoseg-desktop" --new-instance --smoke-test "$tmp/proj"
step "window round trip $(( ($(date +%s%N) - start) / 1000000 )) ms"
step "ok"
