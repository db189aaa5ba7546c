#!/usr/bin/env bash
# Build the one-folder bundle dist/videoseg-desktop/ (both executables) from a clean checkout:
#   packaging/build_bundle.sh              build
#   packaging/build_bundle.sh --smoke-test build, then run the built binaries (packaging/smoke_test_bundle.sh)
# Torch: whatever packaging/dev.sh installed (CPU build without a GPU; set TORCH_INSTALL for CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/dev.sh setup
.venv/bin/pip install -q -r packaging/requirements-bundle.txt
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/videoseg-desktop.spec
echo "[build_bundle] built dist/videoseg-desktop in $(( $(date +%s) - start )) s, $(du -sh dist/videoseg-desktop | cut -f1)"
if [ "${1:-}" = "--smoke-test" ]; then
  packaging/smoke_test_bundle.sh dist/videoseg-desktop
fi
