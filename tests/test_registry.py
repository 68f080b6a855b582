"""The page registry and views/ agree: every entry has its file, every page file has its entry, and a
wrong path fails loudly instead of hiding the page."""

import re
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
    wrong = registry.PageInfo(
        "gausian_kl",
        "📏",
        "elbo",
        "1.4.11",
        live_views=("kl",),
        key_section="",
        uses_model=False,
    )
    monkeypatch.setattr(registry, "PAGES", (*registry.PAGES, wrong))
    with pytest.raises(registry.MissingPageError, match="gausian_kl"):
        registry.built_pages()


@pytest.mark.parametrize("page", registry.PAGES, ids=lambda p: p.slug)
def test_entries_are_well_formed(page):
    assert page.section in registry.SECTIONS
    assert page.url_path and page.url_path == page.url_path.lower() and " " not in page.url_path
    for lang in LANGS:  # the home page's section headings and the navigation's group names
        assert {
            f"home.section_{page.section}",
            f"home.section_{page.section}_blurb",
            f"home.nav_{page.section}",
        } <= set(catalogue(lang))


def test_slugs_and_url_paths_are_unique():
    pages = [registry.HOME, registry.LESSON, *registry.PAGES]
    assert len({p.slug for p in pages}) == len(pages)
    assert len({p.url_path for p in pages}) == len(pages)


def _registered(module: str) -> set[str]:
    """The static/live views that ui/live/<module>.py registers (``register("kl")``)."""
    return set(re.findall(r'register\("(\w+)"\)', (ROOT / "ui" / "live" / f"{module}.py").read_text(encoding="utf-8")))


def _live_imports(path: Path) -> set[str]:
    return set(re.findall(r"^\s*from ui\.live\.(\w+) import", path.read_text(encoding="utf-8"), re.MULTILINE))


# The live layer's fixed charts (ui/live/chart.py): drawn on several pages in place of Plotly figures,
# with no controls, texts or frames of their own to measure, so no page lists them among its live views.
FIXED_CHARTS = {"chart"}


@pytest.mark.parametrize("page", registry.PAGES, ids=lambda p: p.slug)
def test_live_views_are_the_ones_the_page_mounts(page):
    """A page's ``live_views`` are what the ui/live modules its view imports register (beyond the
    app-wide ones app.py mounts on every page), and each has its static/live/<name>.js."""
    app_wide = set().union(*(_registered(m) for m in _live_imports(ROOT / "app.py")))
    mounted = set().union(*(_registered(m) for m in _live_imports(ROOT / page.file))) - app_wide - FIXED_CHARTS
    assert set(page.live_views) == mounted
    for name in page.live_views:
        assert (ROOT / "static" / "live" / f"{name}.js").is_file()


def test_every_live_view_belongs_to_a_page():
    app_wide = set().union(*(_registered(m) for m in _live_imports(ROOT / "app.py")))
    every = set().union(*(_registered(path.stem) for path in (ROOT / "ui" / "live").glob("*.py")))
    lesson = set().union(*(_registered(m) for m in _live_imports(ROOT / registry.LESSON.file)))  # the live class
    assert every - app_wide - lesson - FIXED_CHARTS == {name for page in registry.PAGES for name in page.live_views}


@pytest.mark.parametrize("page", registry.PAGES, ids=lambda p: p.slug)
def test_key_section_is_a_heading_of_the_page(page):
    """The presenter test opens ``?section=<key_section>``: it must be an anchor the page sets, and a
    page with a live view names the one to fit on a projector."""
    assert (page.key_section is None) == (not page.live_views)
    if page.key_section:
        assert f'anchor="{page.key_section}"' in (ROOT / page.file).read_text(encoding="utf-8")
    assert registry.key_sections()[page.url_path] == page.key_section


@pytest.mark.parametrize("page", [registry.HOME, registry.LESSON, *registry.PAGES], ids=lambda p: p.slug)
def test_uses_model_is_whether_the_page_loads_the_vae(page):
    files = [ROOT / page.file] + ([ROOT / "ui" / "lesson.py"] if page is registry.LESSON else [])
    assert page.uses_model == any("pretrained_model()" in f.read_text(encoding="utf-8") for f in files)


def test_pages_are_found_by_slug_and_by_url_path():
    for page in (registry.HOME, registry.LESSON, *registry.PAGES):
        assert registry.page_info(page.slug) is page is registry.page_at(page.url_path)
    with pytest.raises(KeyError):
        registry.page_at("no-such-page")


def test_each_page_has_one_name():
    """slug = view file = strings namespace = URL path (hyphens for underscores) = UrlState prefix."""
    for page in (registry.LESSON, *registry.PAGES):
        assert page.file == f"views/{page.slug}.py" and page.url_path == page.slug.replace("_", "-")
        for lang in ("en", "zh"):
            assert (ROOT / "assets" / "i18n" / lang / f"{page.slug}.toml").is_file()
        data = ROOT / "ui" / f"{page.slug}_data.py"
        if data.is_file():  # its URL state's prefix (widget keys) is the slug too
            prefixes = set(re.findall(r'UrlState\(\s*"(\w+)"', data.read_text(encoding="utf-8")))
            assert prefixes == {page.slug}, (data, prefixes)
