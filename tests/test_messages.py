"""User-facing wording: counts agree with their number ("1 video", "2 videos"), never "video(s)"
or "1 videos". Counts go through core.text.plural; this scans every string in src/ so a new
message cannot bring the old wording back (issue #12)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from videoseg_desktop.core.text import plural

SRC = Path(__file__).resolve().parents[1] / "src" / "videoseg_desktop"
BARE_PLURAL = re.compile(r"[A-Za-z]\(s\)")
COUNT_NOUNS = (
    "files|videos|images|frames|masks|objects|items|labels|problems|runs|values|instances|"
    "tracks|vertices|weights|leftovers|prompts|boxes|entries|segmentations|levels|"
    "suggestions|annotations|categories|classes|rows|flags|exports|windows|errors|findings|"
    "polygons|choices|models|concepts|steps|clicks|attributes|characters|pixels|seconds"
)
# "{n} frames", "{len(x)} missing weights", "{n} media items", "{n} segmented frames"...
COUNTED = re.compile(rf"^ (?:[a-z][a-z-]* )?(?:{COUNT_NOUNS})\b")
NOT_A_COUNT = re.compile(  # what stands before such a word without counting it
    r"^([A-Z_][A-Z0-9_]*( // .*)?|max_\w+|noun\(.*|.*\b(id|name|folder|path|root|source|height|width)\b.*)$"
)
NOT_COUNT_WORDS = ("has ", "have ", "is ", "are ", "names ", "points ", "holds ")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def wording_problems(source: str, where: str = "<text>") -> list[str]:
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and BARE_PLURAL.search(node.value):
                found.append(f"{where}:{node.lineno}: {node.value!r} says (s)")
            if id(node) not in docstrings and re.search(
                rf"(?<![\d.])\b1 (?:{COUNT_NOUNS})\b", node.value
            ):
                found.append(f"{where}:{node.lineno}: {node.value!r} says 1 + plural")
        elif isinstance(node, ast.JoinedStr):
            parts = node.values
            for value, text in zip(parts, parts[1:], strict=False):
                if not (isinstance(value, ast.FormattedValue) and value.format_spec is None):
                    continue
                if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
                    continue
                expression = ast.unparse(value.value)
                if NOT_A_COUNT.match(expression) or text.value.startswith(NOT_COUNT_WORDS, 1):
                    continue
                if COUNTED.match(text.value):
                    found.append(
                        f"{where}:{node.lineno}: {{{expression}}}{text.value[:30]!r} "
                        "reads '1 ...s' for one: use core.text.plural"
                    )
    return found


def test_no_message_says_s_in_brackets_or_1_plural():
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        problems += wording_problems(path.read_text(), str(path.relative_to(SRC)))
    assert problems == []


def test_the_scan_catches_each_kind():
    bad = 'x = f"{len(a)} file(s)"\ny = f"{n} videos, {m} segmented frames"\nz = "1 files"\n'
    found = wording_problems(bad)
    assert len(found) == 4, found
    good = (
        'def f():\n    """Returns the tracked one(s)."""\n'
        "    return f\"{plural(n, 'video')}, {MAX_SIDE} pixels, {item.id} has frames\"\n"
    )
    assert wording_problems(good) == []
    assert plural(1, "video") == "1 video" and plural(2, "frame") == "2 frames"


# bytes divided into MB / MiB by hand (megapixels, "// 1000000", are not sizes)
SIZE_MATH = re.compile(
    # ast.unparse writes 1e6 as 1000000.0
    r"(?<!/)/ ?(1e[369]|1000(000){1,2}(\.0)?\b|1048576\b|2 ?\*\* ?(10|20|30)|1024\b)"
    r"|// ?(1024|2 ?\*\* ?(10|20|30))"
)


def size_problems(source: str, where: str = "<text>") -> list[str]:
    """Byte sizes shown to users go through core.text.size_text: one unit system (MiB) in the
    window and the CLI, never "156 MB" in one and "148.8 MiB" in the other."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FormattedValue):
            expression = ast.unparse(node.value)
            if SIZE_MATH.search(expression):
                found.append(f"{where}:{node.lineno}: {{{expression}}} formats a size by hand")
    return found


def test_sizes_are_said_one_way():
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name != "text.py":
            problems += size_problems(path.read_text(), str(path.relative_to(SRC)))
    assert problems == []
    assert size_problems('x = f"{n / 1e6:.0f} MB, {m / 2**20:.1f} MiB"') != []


def test_decompression_bomb_messages_state_the_limit(tmp_path, monkeypatch):
    import pytest
    from PIL import Image

    from videoseg_desktop.core.errors import MediaError, VideoSegError
    from videoseg_desktop.export.davis_reader import read_id_png
    from videoseg_desktop.media.formats import check_pixel_limit
    from videoseg_desktop.media.image_io import load_image

    path = tmp_path / "bomb.png"
    Image.new("P", (4, 4)).save(path)

    def bomb(*_args, **_kwargs):
        raise Image.DecompressionBombError("Image size (1000000000 pixels) exceeds limit")

    with pytest.raises(MediaError, match=r"limit is \d+ megapixels and \d+ pixels a side"):
        check_pixel_limit(path, 100_000, 100_000)
    monkeypatch.setattr(Image, "open", bomb)
    for read in (read_id_png, load_image):
        with pytest.raises(VideoSegError) as err:
            read(path)
        assert "megapixels" in str(err.value) and "decompression bomb" in str(err.value)
