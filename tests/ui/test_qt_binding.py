"""The installed Qt binding must not corrupt Python's reference counts.

PySide6 6.12.0 drops a reference to None on every call of a void Qt method when Python is older
than 3.12 (where None is not immortal); any real window then aborts with "none_dealloc" after a
few thousand calls. This guards against installing such a build again.
"""

import sys

from PySide6.QtCore import QObject, QPointF
from PySide6.QtGui import QPainterPath


def test_void_qt_calls_keep_none_alive():
    path, obj = QPainterPath(), QObject()
    before = sys.getrefcount(None)
    for _ in range(200):
        path.moveTo(QPointF(1.0, 2.0))
        path.lineTo(3.0, 4.0)
        obj.setObjectName("probe")
    # Immortal None (3.12+) reports a constant; elsewhere the count must not fall by ~600.
    assert sys.getrefcount(None) - before > -50
