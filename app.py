"""Router: page config, the language switch, navigation. No page content lives here.

Run with ``streamlit run app.py``.
"""

import streamlit as st

from ui.i18n import LANG_NAMES, LANGS, current_lang, locale_to_lang, t
from ui.memory import schedule_trim
from ui.registry import HOME, SECTIONS, built_pages
from ui.state import WRITTEN_KEY, note_written

st.set_page_config(page_title="ELBO & VAE", page_icon="🧮", layout="wide")

# Language: URL `lang` first, then the browser locale (zh* → 中文), else English.
bad_lang = None
if "lang" not in st.session_state:
    raw = st.query_params.get("lang")
    if raw in LANGS:
        st.session_state.lang = raw
    else:
        st.session_state.lang = locale_to_lang(st.context.locale)
        bad_lang = raw
st.sidebar.radio("语言 · Language", LANGS, format_func=LANG_NAMES.get, key="lang", horizontal=True)
st.session_state[WRITTEN_KEY] = set()
if st.query_params.get("lang") != current_lang():
    st.query_params["lang"] = current_lang()
note_written("lang")
if bad_lang is not None:
    st.warning(t("common.url_bad_lang", raw=bad_lang.replace("`", "'")[:24]), icon="⚠️")


def _page(info):
    return st.Page(info.file, title=t(f"{info.slug}.title"), icon=info.icon, url_path=info.url_path)


nav = {"": [st.Page(HOME.file, title=t("home.title"), icon=HOME.icon, default=True)]}
for section in SECTIONS:
    pages = [_page(p) for p in built_pages() if p.section == section]
    if pages:
        nav[t(f"home.nav_{section}")] = pages
st.navigation(nav).run()

# Drop parameters the page did not claim (left over from another page, or unknown).
for name in list(st.query_params):
    if name not in st.session_state[WRITTEN_KEY]:
        del st.query_params[name]

schedule_trim()  # give the rerun's freed temporaries back to the OS, off the rerun's clock (ui/memory.py)
