from videoseg_desktop.core.text import noun, plural, size_text


def test_plural_says_counts_in_words():
    assert plural(1, "video") == "1 video"
    assert plural(2, "video") == "2 videos"
    assert plural(0, "file") == "0 files"
    assert plural(3, "box") == "3 boxes"
    assert plural(2, "entry") == "2 entries"
    assert plural(2, "day") == "2 days"
    assert plural(2, "media item") == "2 media items"
    assert plural(2, "child", "children") == "2 children"
    assert noun(2, "was") == "were" and noun(1, "was") == "was"
    assert plural(3, "vertex") == "3 vertices"


def test_size_text_uses_binary_units_everywhere():
    assert size_text(0) == "0 bytes"
    assert size_text(1023) == "1023 bytes"
    assert size_text(1536) == "1.5 KiB"
    assert size_text(156_000_000) == "148.8 MiB"  # the same file, window and CLI (issue #12)
    assert size_text(3_450_000_000) == "3290.2 MiB"  # SAM 3 beside the SAM 2.1 models
    assert size_text(12 * 1024**3) == "12.0 GiB"
