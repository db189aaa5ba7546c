"""The docks beside the canvas: media browser, labels, objects, model."""
