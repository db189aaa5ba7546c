"""The video studio: timeline, playback, track overview, tracking and per-track edits."""
