"""The page registry and views/ agree: every entry has its file, every page file has its entry, and a
wrong path fails loudly instead of hiding the page."""

from pathlib import Path

import pytest

from ui import registry
from ui.i18n import LANGS, catalogue

ROOT = Path(__file__).resolve().parents[1]


def test_every_view_is_registered_and_every_entry_exists():
    registered = {registry.HOME.file, registry.LESSON.file, *(page.file for page in registry.PAGES)}
    on_disk = {f"views/{path.name}" for path in (ROOT / "views").glob("*.py")}
    assert registered == on_disk


def test_a_wrong_path_raises(monkeypatch):
    wrong = registry.PageInfo("kl", "gaussian-kl", "views/gausian_kl.py", "📏", "elbo", "1.4.11")
    monkeypatch.setattr(registry, "PAGES", (*registry.PAGES, wrong))
    with pytest.raises(registry.MissingPageError, match="gausian_kl"):
        registry.built_pages()


@pytest.mark.parametrize("page", registry.PAGES, ids=lambda p: p.slug)
def test_entries_are_well_formed(page):
    assert page.section in registry.SECTIONS
    assert page.url_path and page.url_path == page.url_path.lower() and " " not in page.url_path
    for lang in LANGS:  # the home page's section headings and the navigation's group names
        assert {f"home.section_{page.section}", f"home.section_{page.section}_blurb",
                f"home.nav_{page.section}"} <= set(catalogue(lang))


def test_slugs_and_url_paths_are_unique():
    pages = [registry.HOME, registry.LESSON, *registry.PAGES]
    assert len({p.slug for p in pages}) == len(pages)
    assert len({p.url_path for p in pages}) == len(pages)
