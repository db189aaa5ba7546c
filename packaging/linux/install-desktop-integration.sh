#!/usr/bin/env bash
# Register VideoSeg Desktop for the current user: menu entry, icon, and the project.vseg MIME type,
# so double-clicking a project file opens it. Usage:
#   packaging/linux/install-desktop-integration.sh [PATH-TO-videoseg-desktop]
# (default: the bundle next to this script's repo, else `videoseg-desktop` on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
res="$root/resources"
[ -d "$res" ] || res="$here/resources"  # inside an unpacked bundle
exe=${1:-}
if [ -z "$exe" ]; then
  for candidate in "$root/dist/videoseg-desktop/videoseg-desktop" "$(command -v videoseg-desktop || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] && exe=$candidate && break
  done
fi
[ -n "$exe" ] && [ -x "$exe" ] || { echo "videoseg-desktop executable not found; pass its path" >&2; exit 1; }
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")

data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/mime/packages"
sed "s|^Exec=.*|Exec=\"$exe\" %f|" "$res/videoseg-desktop.desktop" >"$data/applications/videoseg-desktop.desktop"
cp "$res/videoseg-project.xml" "$data/mime/packages/videoseg-project.xml"
for size in 16 24 32 48 64 128 256 512; do
  dir="$data/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir"
  cp "$res/icons/videoseg-desktop-$size.png" "$dir/videoseg-desktop.png"
done
mkdir -p "$data/icons/hicolor/scalable/apps"
cp "$res/icons/videoseg-desktop.svg" "$data/icons/hicolor/scalable/apps/videoseg-desktop.svg"
cp "$res/icons/videoseg-desktop-64.png" "$data/icons/hicolor/64x64/apps/application-x-videoseg-project.png"

command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
command -v xdg-mime >/dev/null && xdg-mime default videoseg-desktop.desktop application/x-videoseg-project || true
echo "VideoSeg Desktop registered for $USER: $exe opens *.vseg projects"
