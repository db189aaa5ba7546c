"""Export (COCO, YouTube-VIS, DAVIS, YOLO-seg), annotation import and evaluation; no Qt, no torch.

The GUI and the CLI call the same plain functions::

    export_coco(project, out_dir=None, labels=None, media_ids=None, polygons=False,
                frames_as_images=False, copy_images=False, zip_output=False, progress=None)
    export_ytvis(project, out_dir=None, labels=None, media_ids=None, zip_output=False, progress=None)
    export_davis(project, out_dir=None, labels=None, media_ids=None, zip_output=False, progress=None)
    export_yolo(project, out_dir=None, labels=None, media_ids=None, frames_as_images=False,
                zip_output=False, progress=None)
    import_annotations(project, fmt, path, label="object", progress=None) -> ImportSummary
    evaluate(pred_path, gt_path, pred_format=None, gt_format=None, mode="auto", ...) -> EvalReport

``progress`` is called as ``progress(done, total)``.
"""

from videoseg_desktop.export.coco import export_coco
from videoseg_desktop.export.davis import export_davis
from videoseg_desktop.export.eval_report import EvalReport
from videoseg_desktop.export.evaluation import evaluate, evaluate_sets
from videoseg_desktop.export.importers import IMPORT_FORMATS, ImportSummary, import_annotations
from videoseg_desktop.export.readers import read_annotations
from videoseg_desktop.export.writer import ExportSummary
from videoseg_desktop.export.yolo import export_yolo
from videoseg_desktop.export.ytvis import export_ytvis

EXPORTERS = {
    "coco": export_coco,
    "ytvis": export_ytvis,
    "davis": export_davis,
    "yolo": export_yolo,
}

__all__ = [
    "EXPORTERS",
    "IMPORT_FORMATS",
    "EvalReport",
    "ExportSummary",
    "ImportSummary",
    "evaluate",
    "evaluate_sets",
    "export_coco",
    "export_davis",
    "export_yolo",
    "export_ytvis",
    "import_annotations",
    "read_annotations",
]
