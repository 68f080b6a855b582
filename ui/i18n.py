"""Bilingual strings: one catalogue per language, split into one TOML file per page.

``assets/i18n/<lang>/<namespace>.toml`` holds that page's strings; a key is addressed as
``"<namespace>.<key>"`` (nested tables join with dots), e.g. ``t("gaussian_kl.title")``.
Both languages must define exactly the same keys (tests/test_i18n.py checks it).

Strings may contain ``str.format`` fields (``{value}``) and Markdown; LaTeX goes through
``st.latex`` and is never translated.
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from pathlib import Path

import streamlit as st

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}
DEFAULT_LANG = "en"
I18N_DIR = Path(__file__).resolve().parent.parent / "assets" / "i18n"
STRICT_ENV = "ELBO_STRICT_I18N"  # "1" (tests/conftest.py sets it): a missing key raises instead of ⟦key⟧


class MissingStringError(KeyError):
    """``t()`` was asked for a key that no catalogue file defines (only raised under tests)."""


def _flatten(table: dict, prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, full))
        else:
            out[full] = value
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All strings of one language, flattened to ``namespace.key`` → text."""
    strings: dict[str, str] = {}
    for path in sorted((I18N_DIR / lang).glob("*.toml")):
        with path.open("rb") as fh:
            strings.update(_flatten(tomllib.load(fh), path.stem))
    return strings


def locale_to_lang(locale: str | None) -> str:
    """Browser locale → app language: zh* → 中文, anything else → English."""
    if locale and locale.lower().startswith("zh"):
        return "zh"
    return DEFAULT_LANG


def current_lang() -> str:
    """The language chosen in the sidebar (app.py owns the widget)."""
    lang = st.session_state.get("lang")
    return lang if lang in LANGS else DEFAULT_LANG


# Chinese writes 5000, not 5,000 (English's thousands separators), so counts formatted with
# f"{n:,}" lose their commas when they are put into a Chinese string.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def count(n: int) -> str:
    """A whole number as the current language writes it: 5,000 (en) or 5000 (zh)."""
    return f"{n:,}" if current_lang() == "en" else str(int(n))


def t(key: str, /, **fields) -> str:
    """The string ``key`` in the current language, with ``fields`` formatted in.

    A missing key raises :class:`MissingStringError` under tests (``ELBO_STRICT_I18N=1``, set by
    tests/conftest.py for AppTest and for the servers the browser tests start); in production it
    shows as ``⟦key⟧`` rather than crashing the page.
    """
    lang = current_lang()
    text = catalogue(lang).get(key)
    if text is None:
        if os.environ.get(STRICT_ENV) == "1":
            raise MissingStringError(f"no string {key!r} in assets/i18n/{lang}/")
        return f"⟦{key}⟧"
    if lang == "zh":
        fields = {k: _THOUSANDS.sub("", v) if isinstance(v, str) else v for k, v in fields.items()}
    return text.format(**fields) if fields else text
