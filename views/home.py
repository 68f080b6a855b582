"""Home: the chapter as a map — 1.4.1 ELBO → 1.4.2 VAE — one card per built page.

Deliberately light (no plotly, no torch) so the app's first page renders fast.
"""

import streamlit as st

from ui.components import intro
from ui.i18n import t
from ui.registry import SECTIONS, built_pages

st.title(t("home.heading"))
intro("home.intro")

pages = built_pages()


def covers(equations: str) -> str:
    """'Covers eq. 1.4.11' / 'Covers eqs. 1.4.1–1.4.10' / 'Covers §1.4.2.2', in the current language."""
    if equations.startswith("§"):
        return t("home.covers_section", section=equations[1:])
    return t("home.covers_range" if "–" in equations else "home.covers", equations=equations)


for section in SECTIONS:
    in_section = [p for p in pages if p.section == section]
    if not in_section:
        continue
    st.header(t(f"home.section_{section}"))
    st.caption(t(f"home.section_{section}_blurb"))
    for row_start in range(0, len(in_section), 3):
        columns = st.columns(3)
        for column, page in zip(columns, in_section[row_start : row_start + 3], strict=False):
            with column.container(border=True, height="stretch"):
                st.markdown(f"### {page.icon} {t(f'{page.slug}.title')}")
                st.caption(covers(page.equations))
                st.markdown(t(f"{page.slug}.card"))
                st.page_link(page.file, label=t("home.open"), icon="➡️")
    if section == "vae" and any(p.slug == "diffusion" for p in pages):  # the map points on to the bridge
        onward = next(p for p in pages if p.slug == "diffusion")
        st.caption(t("home.onward_text"))  # the long sentence as text: a long link label is cut at 150 % zoom
        st.page_link(onward.file, label=t("home.onward"), icon="🌫️")

left, right = st.columns(2)
with left.expander(t("home.how_title"), expanded=True):
    st.markdown(t("home.how"))
with right.expander(t("home.notation_title"), expanded=True):
    st.markdown(t("home.notation"))
