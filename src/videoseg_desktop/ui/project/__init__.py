"""An open project in the window: session, store events, undoable edits, actions, import, start page."""
