"""PyInstaller entry point of the window (``videoseg-desktop``)."""

import sys

from videoseg_desktop.app import main

sys.exit(main())
