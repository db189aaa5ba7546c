"""Hand editing of masks: brush, eraser, polygon and clean-up actions on SAM's masks."""

from videoseg_desktop.ui.editing.brush_tool import BrushTool
from videoseg_desktop.ui.editing.editing_controls import MaskEditing
from videoseg_desktop.ui.editing.mask_editor import EditTarget, MaskEditor
from videoseg_desktop.ui.editing.polygon_tool import PolygonTool

__all__ = ["BrushTool", "EditTarget", "MaskEditing", "MaskEditor", "PolygonTool"]
