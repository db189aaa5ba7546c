#!/usr/bin/env bash
# Set up a development environment in .venv (idempotent, quick when nothing changed), then:
#   packaging/dev.sh demo   open the app on the generated demo project
#   packaging/dev.sh test   lint and run the whole test suite
#   packaging/dev.sh setup  only set up
# Torch: the standard PyPI builds of torch and torchvision (CUDA on Linux and Windows; they also
# run on machines without a GPU). Override with TORCH_INSTALL="torch==X torchvision==Y --index-url URL".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV=$ROOT/.venv
TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
SAM2_VERSION=1.1.0
action=${1:-setup}

log() { printf '[dev.sh] %s\n' "$*" >&2; }

system_libs() {
  # Qt needs a few system libraries even offscreen; install them on Debian when missing.
  local missing=()
  for lib in libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libglib-2.0.so.0; do
    ldconfig -p | grep -q "$lib" || missing+=("$lib")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing system libraries for Qt (${missing[*]})"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 >/dev/null
    else
      log "warning: missing system libraries for Qt: ${missing[*]} (install libegl1 libgl1 libxkbcommon0 libfontconfig1)"
    fi
  fi
}

install_torch() {
  if [ -n "${TORCH_INSTALL:-}" ]; then
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $TORCH_INSTALL
  else
    log "installing torch $TORCH_VERSION and torchvision $TORCHVISION_VERSION"
    "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
  fi
}

setup() {
  local want
  want=$(cat pyproject.toml packaging/requirements*.txt packaging/dev.sh | sha256sum | cut -c1-64)
  if [ -f "$VENV/.setup-stamp" ] && [ "$(cat "$VENV/.setup-stamp")" = "$want" ]; then
    return 0
  fi
  log "setting up $VENV"
  system_libs
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -c "import torch, torchvision; assert torch.__version__.startswith('$TORCH_VERSION')" 2>/dev/null || install_torch
  "$VENV/bin/pip" install -q -r packaging/requirements.txt -r packaging/requirements-dev.txt
  # export consumers for the tests, without their dependency lists (see the file)
  "$VENV/bin/pip" install -q --no-deps -r packaging/requirements-consumers.txt
  # sam2's sdist needs torch at build time and must not pull CUDA torch or torchvision.
  "$VENV/bin/python" -c "import sam2" 2>/dev/null ||
    SAM2_BUILD_CUDA=0 "$VENV/bin/pip" install -q --no-build-isolation --no-deps "sam2==$SAM2_VERSION"
  "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e .
  echo "$want" >"$VENV/.setup-stamp"
  log "ready"
}

setup
case "$action" in
  setup) ;;
  demo)
    "$VENV/bin/python" -c "from videoseg_desktop.demo import create_demo_project as c; c('demo-project')"
    exec "$VENV/bin/videoseg-desktop" demo-project
    ;;
  test)
    "$VENV/bin/ruff" check src tests benchmarks
    "$VENV/bin/ruff" format --check src tests benchmarks
    exec "$VENV/bin/python" -m pytest "${@:2}"
    ;;
  *) echo "usage: packaging/dev.sh [setup|demo|test]" >&2; exit 2 ;;
esac
