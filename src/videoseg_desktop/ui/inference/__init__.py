"""The GUI's side of the model: one worker thread, its jobs, and the client windows use."""
