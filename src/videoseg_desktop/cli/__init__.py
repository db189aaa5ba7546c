"""The headless command line ``videoseg``: the same layers the GUI uses, without Qt."""
