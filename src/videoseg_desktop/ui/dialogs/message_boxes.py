"""Message boxes whose text can be selected and copied, with web addresses kept on one line.

The offline download message tells the user which URL to fetch on another machine: it has to be
copyable and not broken across lines (issue #12). Every error box of the window is built here.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:)]")


def urls_in(message: str) -> list[str]:
    return URL.findall(message)


def message_html(message: str) -> str:
    """The message as rich text: escaped, line breaks kept, each URL a link that never wraps."""
    parts, last = [], 0
    for match in URL.finditer(message):
        parts.append(html.escape(message[last : match.start()]))
        url = html.escape(match.group(0))
        parts.append(f'<a href="{url}" style="white-space:nowrap">{url}</a>')
        last = match.end()
    parts.append(html.escape(message[last:]))
    return "".join(parts).replace("\n", "<br>")


def message_box(
    parent: QWidget | None,
    title: str,
    message: str,
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
) -> QMessageBox:
    """A window-modal box (not yet shown): selectable text, and Copy Link when there is a URL."""
    box = QMessageBox(icon, title, "", QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(message_html(message))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    box.setProperty("plain_text", message)
    urls = urls_in(message)
    if urls:
        copy = box.addButton("Copy Link", QMessageBox.ButtonRole.ActionRole)
        copy.setToolTip(f"Copy {urls[0]} to the clipboard")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(urls[0]))
    box.setWindowModality(Qt.WindowModality.WindowModal)
    return box
