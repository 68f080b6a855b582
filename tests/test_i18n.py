"""The two catalogues match key for key, placeholder for placeholder, and cover every page."""

import re
import string
import tomllib
from pathlib import Path

import pytest

from tests.apptest import english_words
from ui.i18n import I18N_DIR, LANGS, catalogue
from ui.registry import HOME, PAGES

ROOT = Path(__file__).resolve().parents[1]


def test_same_files_in_every_language():
    files = {lang: sorted(p.name for p in (I18N_DIR / lang).glob("*.toml")) for lang in LANGS}
    assert files["zh"] == files["en"]
    assert files["en"], "no catalogue files found"


@pytest.mark.parametrize("name", sorted(p.name for p in (I18N_DIR / "en").glob("*.toml")))
def test_files_parse_and_keys_match(name):
    keys = {}
    for lang in LANGS:
        with (I18N_DIR / lang / name).open("rb") as fh:
            table = tomllib.load(fh)
        keys[lang] = set(catalogue(lang)) & {k for k in catalogue(lang) if k.startswith(name[:-5] + ".")}
        assert table, f"{lang}/{name} is empty"
    assert keys["en"] == keys["zh"], (
        f"only in en: {sorted(keys['en'] - keys['zh'])}; only in zh: {sorted(keys['zh'] - keys['en'])}"
    )


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_placeholders_and_nonempty():
    en, zh = catalogue("en"), catalogue("zh")
    for key, text in en.items():
        assert text.strip() and zh[key].strip(), f"{key} is empty"
        assert _fields(text) == _fields(zh[key]), f"{key}: placeholders differ between languages"


def test_chinese_catalogue_is_chinese():
    """A zh string with English words and no Chinese at all was probably left untranslated."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [k for k, v in catalogue("zh").items() if not cjk.search(v) and english_words(v)]
    assert not untranslated, untranslated


@pytest.mark.parametrize("page", [HOME, *PAGES], ids=lambda p: p.slug)
def test_every_page_has_title_card_and_footer(page):
    assert page.built, f"ui/registry.py: {page.file} does not exist"
    for lang in LANGS:
        assert f"{page.slug}.title" in catalogue(lang)
        if page is not HOME:
            for key in ("card", "try_title", "try_text"):
                assert f"{page.slug}.{key}" in catalogue(lang), f"{lang}: {page.slug}.{key}"


def test_literal_keys_used_in_code_exist():
    """Every t("namespace.key") with a literal key in the UI code is in the catalogue."""
    pattern = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-zA-Z0-9_.]+)["']""")
    sources = [
        ROOT / "app.py",
        *sorted((ROOT / "views").glob("*.py")),
        *sorted((ROOT / "ui").glob("*.py")),
        *sorted((ROOT / "ui" / "live").glob("*.py")),
    ]
    missing = []
    for path in sources:
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            if key not in catalogue("en"):
                missing.append(f"{path.name}: {key}")
    assert not missing, missing


def test_a_missing_key_raises_under_tests_and_degrades_in_production(monkeypatch):
    from ui import i18n

    with pytest.raises(i18n.MissingStringError, match="gaussian_kl.no_such_key"):
        i18n.t("gaussian_kl.no_such_key")
    monkeypatch.delenv(i18n.STRICT_ENV)
    assert i18n.t("gaussian_kl.no_such_key") == "⟦gaussian_kl.no_such_key⟧"


@pytest.mark.parametrize("page", [p for p in PAGES if p.live_views], ids=lambda p: p.slug)
def test_live_views_are_sent_every_string_their_script_reads(page):
    """Each ``text.<name>`` that static/live/<view>.js reads is in the ``text`` the page sends it."""
    import json

    from tests.apptest import assert_clean, rendered

    at = rendered(page.file, "en")
    assert_clean(at)
    sent: dict[str, set[str]] = {view: set() for view in page.live_views}
    for element in at.get("bidi_component"):
        view = element.proto.component_name.removeprefix("live_")
        if view in sent:
            data = json.loads(element.proto.json)
            sent[view] |= set((data[0] if isinstance(data, list) else data).get("text", {}))
    for view, keys in sent.items():
        script = (ROOT / "static" / "live" / f"{view}.js").read_text(encoding="utf-8")
        read = set(re.findall(r"(?<![/.\w])text\.([a-z_][a-z0-9_]*)", script))  # not an import of "./text.js"
        assert keys, f"{view}: no text sent"
        assert read <= keys, f"{view}.js reads {sorted(read - keys)}, which the page does not send"


def test_chinese_counts_have_no_thousands_separators(monkeypatch):
    import streamlit as st

    from ui import i18n

    monkeypatch.setattr(st, "session_state", {"lang": "zh"})
    assert i18n.count(100_000) == "100000"
    assert i18n.t("gaussian_kl.check_mc", n=f"{100_000:,}", seed=3).count("100000") == 1
    assert i18n._THOUSANDS.sub("", "1,234,567 and 0.5, 12,34") == "1234567 and 0.5, 12,34"
    monkeypatch.setattr(st, "session_state", {"lang": "en"})
    assert i18n.count(100_000) == "100,000"
    assert "100,000" in i18n.t("gaussian_kl.check_mc", n=f"{100_000:,}", seed=3)
