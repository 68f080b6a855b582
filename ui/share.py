"""Get a class onto the same view: a QR code of the current URL, drawn on the server (segno, SVG),
and the link as text to read out. Nothing leaves the server: no QR service, no URL shortener."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from urllib.parse import urlencode, urlsplit

import segno
import streamlit as st

from ui.i18n import t
from ui.registry import ROOT, built_pages

# A page's sections are its anchored headers, `st.header(t("<slug>.<name>_title"), anchor="<name>")`:
# read from the page's own file, so a new section is listed (and tested) without a second list to keep.
_SECTION = re.compile(r"""st\.header\(\s*t\(\s*"([\w.]+)"[^\n]*?anchor="([a-z][a-z0-9-]*)"\s*\)""")


@lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an SVG document (medium error correction, 2-module quiet zone)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=6, border=2, dark="#000", light="#fff", xmldecl=False, svgns=True
    )
    return buffer.getvalue().decode("ascii")


@lru_cache(maxsize=32)
def page_sections(url_path: str) -> tuple[tuple[str, str], ...]:
    """((anchor, title key), …) of a page's ``section=`` links, in the page's order; () for none."""
    for info in built_pages():
        if info.url_path == url_path:
            return tuple((anchor, key) for key, anchor in _SECTION.findall((ROOT / info.file).read_text("utf-8")))
    return ()


def current_url(path: str, params: dict[str, str]) -> str:
    """The address a student should open: this server as the browser reached it, ``path``, ``params``."""
    seen = st.context.url or ""
    parts = urlsplit(seen)
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    query = urlencode(params)
    return f"{base}/{path}" + (f"?{query}" if query else "")


def share_box(path: str, place) -> None:
    """A popover in ``place`` (the sidebar; the top row in presenter mode): the QR code and the link
    of exactly this view (every URL parameter kept but ``present``: a phone is no projector)."""
    url = current_url(path, {k: st.query_params[k] for k in st.query_params if k != "present"})  # a phone: no present
    with place.popover(t("common.share"), icon="📱"):
        st.caption(t("common.share_help"))
        st.image(qr_svg(url), caption=t("common.share_qr_alt"), width=260)
        st.code(url, language=None, wrap_lines=True)
        if "localhost" in url or "127.0.0.1" in url:
            st.caption(t("common.share_localhost"))
        sections = page_sections(path)
        if sections:  # each part of the page has its own short link (the same view, scrolled to it)
            kept = {k: st.query_params[k] for k in st.query_params if k not in ("present", "section")}
            st.caption(t("classroom.sections"))
            for anchor, key in sections:
                st.link_button(t(key), current_url(path, {**kept, "section": anchor}), type="tertiary", icon="🔗")
