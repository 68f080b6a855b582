"""Router: page config, the language switch, navigation. No page content lives here.

Run with ``streamlit run app.py``.

The file plays two parts. ``streamlit run app.py`` finds ``app = st.App(...)`` below and serves it:
Streamlit plus the live class's small JSON routes (ui/classroom/http.py), which let 120 phones
follow a teacher without a rerun each, and gzip for Streamlit's frontend bundle
(deploy/static_gzip.py). To do so it imports this file once as the module ``app``;
every browser session then runs it as the page script, where ``__name__ == "__main__"``.
"""

import streamlit as st

if __name__ != "__main__":  # imported by `streamlit run` for the ASGI app, not run for a session
    from starlette.middleware import Middleware

    from deploy.static_gzip import StaticGzip
    from ui.classroom.http import class_routes

    # StaticGzip: Streamlit leaves its 10 MB frontend bundle uncompressed; gzipped once per process
    app = st.App(__file__, routes=class_routes(), middleware=[Middleware(StaticGzip)])
else:
    from ui.i18n import LANG_NAMES, LANGS, current_lang, locale_to_lang, t
    from ui.live.classroom import class_on_page
    from ui.live.present import presenter_switch
    from ui.live.section import scroll_to
    from ui.memory import schedule_trim
    from ui.registry import HOME, LESSON, SECTIONS, built_pages
    from ui.share import share_box
    from ui.state import PRESENT_KEY, WRITTEN_KEY, BoolParam, note_written

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

    # Presenter mode (`present=1`, a toggle too): no sidebar, intros folded, projector-size text.
    if PRESENT_KEY not in st.session_state:
        st.session_state[PRESENT_KEY] = BoolParam(PRESENT_KEY, False).parse(st.query_params.get(PRESENT_KEY, "0"))[0]
    st.sidebar.toggle(t("common.present"), key=PRESENT_KEY, help=t("common.present_help"))
    presenting = st.session_state[PRESENT_KEY]
    share_place = st.sidebar
    if presenting:
        st.query_params[PRESENT_KEY] = "1"
        note_written(PRESENT_KEY)
        share_place = st.container(horizontal=True, vertical_alignment="center")  # the share control joins it
        share_place.button(
            t("common.present_exit"),
            icon="↩️",
            type="tertiary",
            on_click=lambda: st.session_state.update({PRESENT_KEY: False}),
        )
        other = next(lang for lang in LANGS if lang != current_lang())  # the sidebar's switch is hidden here
        share_place.button(
            LANG_NAMES[other],
            icon="🌐",
            type="tertiary",
            key="present_lang",
            on_click=lambda: st.session_state.update(lang=other),
        )

    def _page(info):
        return st.Page(info.file, title=t(f"{info.slug}.title"), icon=info.icon, url_path=info.url_path)

    nav = {"": [st.Page(HOME.file, title=t("home.title"), icon=HOME.icon, default=True), _page(LESSON)]}
    for section in SECTIONS:
        pages = [_page(p) for p in built_pages() if p.section == section]
        if pages:
            nav[t(f"home.nav_{section}")] = pages
    page = st.navigation(nav)
    # a live class on a full page: the teacher's tab moves the class there, a phone follows (the lesson has its own)
    class_on_page(page.url_path, share_place if presenting else st.container())
    with st.sidebar:
        presenter_switch(presenting)
        # `section=` (a short link to one part of a page) stays in the URL, so the link reproduces
        if scroll_to(st.query_params.get("section")):
            note_written("section")
    page.run()

    # Drop parameters the page did not claim (left over from another page, or unknown).
    for name in list(st.query_params):
        if name not in st.session_state[WRITTEN_KEY]:
            del st.query_params[name]
    share_box(page.url_path, share_place)

    schedule_trim()  # give the rerun's freed temporaries back to the OS, off the rerun's clock (ui/memory.py)
