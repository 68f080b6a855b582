"""The lesson path: the chapter's ideas in its order, one screen each, predict-then-reveal.

A class follows it from a projector (presenter mode) and on phones (the share control's QR code
or the short link `/lesson?step=4&lang=zh`). ←/→ step through; every step links to its full page.
"""

import streamlit as st

from ui.i18n import t
from ui.lesson import LEDGER_STATE, STEPS
from ui.live.section import scroll_to
from ui.registry import page_info
from ui.state import IntParam, UrlState, presenting

OPTIONS = ("a", "b", "c")
STATE = UrlState("lesson", IntParam("step", 1, 1, len(STEPS)))


def go(number: int) -> None:
    STATE.set("step", min(max(number, 1), len(STEPS)))
    LEDGER_STATE.set("k", 0)  # steps 2 and 3 share the live ledger: each opens at the student's q, not optimized


def navigation(number: int) -> None:
    """Previous / next (also ← / →) and the link to the step's full page."""
    step = STEPS[number - 1]
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(t("lesson.previous"), icon="⬅️", on_click=go, args=(number - 1,), disabled=number == 1,
                  shortcut="left", key="lesson_prev")
        st.button(t("lesson.next"), icon="➡️", on_click=go, args=(number + 1,), disabled=number == len(STEPS),
                  shortcut="right", key="lesson_next", type="primary")
        info = page_info(step.page)
        params = {"section": step.section} if step.section else {}
        st.page_link(info.file, label=t("lesson.open_page", page=t(f"{info.slug}.title")), icon="🔎",
                     query_params=params)
        st.caption(t("lesson.progress", n=number, total=len(STEPS)))


def question(number: int) -> bool:
    """The student commits to an answer; True once it is revealed."""
    step = STEPS[number - 1]
    st.markdown(f"**{t('lesson.predict')}** {t(f'lesson.{step.key}_question')}")
    labels = [t(f"lesson.{step.key}_{option}") for option in OPTIONS]  # the options are the words shown
    choice = st.radio(t("lesson.your_answer"), labels, index=None, key=f"lesson_choice_{step.key}")
    shown = f"lesson_shown_{step.key}"
    if st.button(t("lesson.reveal"), key=f"lesson_reveal_{step.key}", disabled=choice is None, type="primary"):
        st.session_state[shown] = True
    if not (st.session_state.get(shown) and choice is not None):
        return False
    answer = t(f"lesson.{step.key}_{step.correct}")
    if choice == answer:
        st.success(t("lesson.right", answer=answer), icon="✅")
    else:
        st.info(t("lesson.not_quite", answer=answer), icon="💡")
    return True


STATE.sync()
number = STATE.value("step")
STATE.write("step", number)
step = STEPS[number - 1]
if not presenting():  # on a projector every line counts: the step's own title is enough
    st.title(t("lesson.title"))
navigation(number)
st.header(f"{number}. {t(f'lesson.{step.key}_title')}", anchor=f"step-{number}")
ask, picture = st.columns([1, 2.3], gap="large")
with ask:
    st.markdown(t(f"lesson.{step.key}_point"))
    if step.lead is not None:
        step.lead()
    revealed = question(number)
    why = st.container()
with picture:
    if revealed:  # the picture that shows why, only after the prediction (it would give it away)
        numbers = {k: v.replace("-", "\u2212") if isinstance(v, str) else v for k, v in step.view().items()}
        why.markdown(t(f"lesson.{step.key}_why", **numbers))  # negative numbers with a true minus sign
        scroll_to(f"step-{number}")  # the revealed picture whole on the screen (presenter mode: with its controls)
    else:
        st.caption(t("lesson.answer_first"))
