"""Small building blocks every page uses: colours, number formatting, metrics, show-code."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Sequence

import streamlit as st

from ui.i18n import t
from ui.state import presenting

# One colour per concept on every page (design.md, "Anatomy of a page").
P_BLUE = "#1f77b4"  # p, the target / the evidence
Q_ORANGE = "#ff7f0e"  # q, the variational distribution
POSTERIOR_GREEN = "#2ca02c"  # the true posterior p(z|x)
GAP_RED = "#d62728"  # gaps and KL divergences
NEG_PURPLE = "#9467bd"  # negative parts of a signed area
PRIOR_GREY = "#7f7f7f"  # the prior N(0, I)


def num(value: float, decimals: int = 4) -> str:
    """A number for display with fixed decimals; '—' rather than 'nan', never '-0.0000'."""
    if not math.isfinite(value):
        return "—"
    if abs(value) < 0.5 * 10.0**-decimals:
        value = 0.0
    return f"{value:.{decimals}f}"


def tex(value: float, decimals: int = 2) -> str:
    """A number for substitution into LaTeX; negatives are bracketed so '− (−1)' reads right."""
    text = f"{value:.{decimals}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return f"({text})" if text.startswith("-") else text


def metric(label: str, value: float, decimals: int = 4, **kwargs) -> None:
    """``st.metric`` whose label is the math, value in nats to ``decimals`` places."""
    st.metric(label, num(value, decimals), **kwargs)


def metric_note(label: str, value: str, note: str | None) -> None:
    """``st.metric`` with a grey note under the value (no arrow, no colour): an estimate's ± s.e.
    (or why it has none), an exact s.e., a theory value."""
    st.metric(label, value, delta=note, delta_color="off", delta_arrow="off")


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (the "check" expanders' layout). Every cell is escaped, so a ``|`` in a
    label such as ``KL(q‖p(z|x))`` stays inside its cell."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(header), "|" + "---|" * len(header), *(line(row) for row in rows)])


def intro(key: str) -> None:
    """A page's or section's introduction; in presenter mode folded behind "more", so the key figure
    and its controls fit one projector screen."""
    if presenting():
        with st.expander(t("common.more"), icon="📖"):
            st.markdown(t(key))
    else:
        st.markdown(t(key))


def image(source, *, caption: str, **kwargs) -> None:
    """``st.image`` whose alt text is its caption: a screen reader (and axe's image-alt) gets words."""
    st.image(source, caption=caption, alt=caption, **kwargs)


def page_footer(slug: str, *functions: Callable) -> None:
    """Every page ends alike: the "things to try" expander, then the code behind the figures."""
    with st.expander(t(f"{slug}.try_title"), icon="🧪"):
        st.markdown(t(f"{slug}.try_text"))
    show_code(*functions, key=f"{slug}_show_code")


def show_code(*functions: Callable, key: str | None = None) -> None:
    """The "show code" expander: the vae_core source behind the figures, one hop away.

    Built only when opened (``on_change="rerun"``: opening it reruns the page, which then fills it):
    a closed expander's ``st.code`` would still make every phone download Streamlit's code
    highlighter (1.6 MB, 0.5 MB gzipped) on its first visit, for a panel few open (issue 22 item 8)."""
    key = key or "show_code_" + "_".join(f.__qualname__ for f in functions)
    with st.expander(t("common.show_code"), icon="🧾", key=key, on_change="rerun") as box:
        if not box.open:
            return
        for function in functions:
            st.caption(t("common.show_code_caption", module=function.__module__))
            st.code(inspect.getsource(function), language="python")
