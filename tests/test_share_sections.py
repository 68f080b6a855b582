"""The share menu's section links (ui/share.py) list every anchored header of every page."""

import re

import pytest

from ui.i18n import catalogue
from ui.registry import ROOT, built_pages
from ui.share import page_sections


@pytest.mark.parametrize("info", built_pages(), ids=lambda info: info.url_path)
def test_every_anchor_of_a_page_is_a_listed_section_with_a_title(info):
    source = (ROOT / info.file).read_text(encoding="utf-8")
    anchors = re.findall(r'anchor="([^"]+)"', source)
    listed = page_sections(info.url_path)
    assert [a for a, _ in listed] == anchors  # none missed (a header written another way would be)
    for lang in ("en", "zh"):
        assert all(key in catalogue(lang) for _, key in listed)
    if info.key_section:
        assert info.key_section in anchors


def test_pages_without_sections():
    assert page_sections("lesson") == () and page_sections("") == () and page_sections("nope") == ()
