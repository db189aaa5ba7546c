"""PyInstaller entry point of the command line (``videoseg``)."""

import sys

from videoseg_desktop.cli.main import main

sys.exit(main())
