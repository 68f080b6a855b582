"""The lesson path: the chapter's ideas in its order, one screen each, predict-then-reveal.

A class follows it from a projector (presenter mode) and on phones. The teacher's "Start a class"
shows a join screen (QR code, short code, `/lesson?class=CODE`); phones that join follow the
teacher's step, vote on its question with the class bar (ui/live/classroom.py) and see the answer
when the teacher reveals it for everyone. Without a class the page is the same path alone:
←/→ (also PageUp/PageDown/Space in presenter mode) step through; every step links to its full page.
"""

import streamlit as st

from ui.classroom import session
from ui.classroom.store import ClassError, get_store
from ui.i18n import t
from ui.lesson import LEDGER_STATE, STEPS
from ui.live.classroom import RETURN_KEY, class_bar, follow_teacher, following, join_panel
from ui.live.section import scroll_to
from ui.registry import page_info
from ui.share import current_url, qr_svg
from ui.state import IntParam, UrlState, note_written, presenting

OPTIONS = ("a", "b", "c")
STATE = UrlState("lesson", IntParam("step", 1, 1, len(STEPS)))
ANSWERS = "lesson_answers"  # {step key: option index}: kept when the step's radio is not drawn (← keeps it)
JOIN_SCREEN = "lesson_class_join"  # the teacher shows the join screen (None, "panel" or "full")


def go(number: int) -> None:
    STATE.set("step", min(max(number, 1), len(STEPS)))
    LEDGER_STATE.set("k", 0)  # steps 2 and 3 share the live ledger: each opens at the student's q, not optimized


def choices(step) -> list[str]:
    return [t(f"lesson.{step.key}_{option}") for option in OPTIONS]  # the options are the words shown


def start_class() -> None:
    session.start_class()
    st.session_state[JOIN_SCREEN] = "panel"


def class_action(action: str, **args) -> None:
    session.teach(action, **args)


def navigation(number: int, *, teacher=None, alone: bool = True, revealed: dict | None = None) -> None:
    """Previous / next (also ← / →) and the link to the step's full page; the teacher's class
    buttons (with ``revealed``, the class view once this step is revealed: "vote again" too, out of
    the text column that then holds the why). A phone that follows the class has no previous / next:
    the teacher drives."""
    step = STEPS[number - 1]
    with st.container(horizontal=True, vertical_alignment="center"):
        if alone:
            st.button(
                t("lesson.previous"),
                icon="⬅️",
                on_click=go,
                args=(number - 1,),
                disabled=number == 1,
                shortcut="left",
                key="lesson_prev",
            )
            st.button(
                t("lesson.next"),
                icon="➡️",
                on_click=go,
                args=(number + 1,),
                disabled=number == len(STEPS),
                shortcut="right",
                key="lesson_next",
                type="primary",
            )
        info = page_info(step.page)
        params = {"section": step.section} if step.section else {}
        st.page_link(
            info.file, label=t("lesson.open_page", page=t(f"{info.slug}.title")), icon="🔎", query_params=params
        )
        if alone:
            st.caption(t("lesson.progress", n=number, total=len(STEPS)))
        if teacher is not None:
            if revealed is not None:
                vote_again(revealed)
            st.button(
                t("classroom.join_show", code=teacher.code),
                icon="📱",
                key="lesson_class_join_show",
                on_click=lambda: st.session_state.update({JOIN_SCREEN: "panel"}),
            )
            st.button(t("classroom.end"), icon="⏹️", key="lesson_class_end", type="tertiary", on_click=session.end_class)
        elif alone:
            st.button(
                t("classroom.start"),
                icon="📡",
                key="lesson_class_start",
                help=t("classroom.start_help"),
                on_click=start_class,
                type="tertiary",
            )


def join_screen(code: str) -> None:
    """The teacher's join screen instead of the step: the QR code, the code, the short link."""
    url = current_url("lesson", {"class": code})  # no secret, no present=1, no step: phones follow the class
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            t("classroom.join_hide"),
            icon="↩️",
            key="lesson_class_join_hide",
            type="primary",
            on_click=lambda: st.session_state.update({JOIN_SCREEN: None}),
        )
        full = st.session_state.get(JOIN_SCREEN) == "full"
        st.button(
            t("classroom.qr_small") if full else t("classroom.qr_full"),
            icon="🔳",
            key="lesson_class_qr",
            on_click=lambda: st.session_state.update({JOIN_SCREEN: "panel" if full else "full"}),
        )
    if full:  # for the back rows: the QR code as large as the screen allows, the link in large type
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.image(qr_svg(url), width=600, caption=t("classroom.join_title"))
        right.markdown(f"## {url}")
        right.markdown(f"# {code}")
        right.caption(t("classroom.nothing_personal", hours=f"{get_store().ttl_s / 3600:g}"))
    else:
        join_panel(code, url)


def settled(step) -> bool:
    """On the projector, alone, once revealed: the outcome and the why take the options' place (and
    the text column widens), so that the why paragraph fits the screen beside its picture."""
    return (
        presenting()
        and bool(st.session_state.get(f"lesson_shown_{step.key}"))
        and st.session_state.get(ANSWERS, {}).get(step.key) is not None
    )


def question(number: int) -> bool:
    """The student commits to an answer; True once it is revealed. Going back to a step keeps it."""
    step = STEPS[number - 1]
    st.markdown(f"**{t('lesson.predict')}** {t(f'lesson.{step.key}_question')}")
    labels = choices(step)
    answers = st.session_state.setdefault(ANSWERS, {})
    kept = answers.get(step.key)
    shown = f"lesson_shown_{step.key}"
    if settled(step):
        choice = labels[kept]
    else:
        choice = st.radio(t("lesson.your_answer"), labels, index=kept, key=f"lesson_choice_{step.key}")
        if choice is not None:
            answers[step.key] = labels.index(choice)
        st.button(  # a callback: the run it starts already shows the outcome (in presenter mode, alone)
            t("lesson.reveal"),
            key=f"lesson_reveal_{step.key}",
            disabled=choice is None,
            type="primary",
            on_click=lambda: st.session_state.update({shown: True}),
        )
    if not (st.session_state.get(shown) and choice is not None):
        return False
    answer = t(f"lesson.{step.key}_{step.correct}")
    if choice == answer:
        st.success(t("lesson.right", answer=answer), icon="✅")
    else:
        st.info(t("lesson.not_quite", answer=answer), icon="💡")
    return True


def class_question(number: int, code: str, *, secret: str | None = None, bars=None, controls: bool = True) -> bool:
    """The step's question in a live class: the class bar's vote buttons (a phone) or its live count
    and bars (the teacher: until the reveal, the options here and the bars in ``bars``, the empty
    picture column, with the buttons that show, reveal and start a second round when ``controls``;
    once revealed, the bars, labelled with the options, here). True once the teacher revealed it for
    everyone."""
    step = STEPS[number - 1]
    st.markdown(f"**{t('lesson.predict')}** {t(f'lesson.{step.key}_question')}")
    labels = choices(step)
    teacher = secret is not None
    if teacher and bars is not None:  # once revealed, the bars beside the options are the list
        st.markdown("\n".join(f"{i + 1}. {label}" for i, label in enumerate(labels)))
    answer_place = st.container()  # the revealed answer above the bars
    with bars or st.container():
        view = class_bar(
            code,
            role="teacher" if teacher else "phone",
            secret=secret,
            question=step.key,
            labels=labels,
            head=not teacher,
            compact=teacher and bars is None,
            answer=OPTIONS.index(step.correct),
        )
        current = view is not None and view["question"] == step.key and not view["ended"]
        if teacher and current and controls and not view["revealed"]:  # one row under the bars, beside the options
            with st.container(horizontal=True):
                st.button(
                    t("classroom.hide_counts") if view["shown"] else t("classroom.show_counts"),
                    icon="📊",
                    key="lesson_class_show",
                    on_click=class_action,
                    args=("show",),
                    kwargs={"on": not view["shown"]},
                )
                st.button(
                    t("classroom.reveal"),
                    icon="💡",
                    key="lesson_class_reveal",
                    type="primary",
                    on_click=class_action,
                    args=("reveal",),
                )
                vote_again(view)
    if not (current and view["revealed"]):
        return False
    if teacher and bars is None:
        return True  # the class bar says the answer, above how the class split
    answer_place.success(t("classroom.answer", answer=t(f"lesson.{step.key}_{step.correct}")), icon="💡")
    return True


def vote_again(view: dict) -> None:
    """A second (third) round of the current question: after the students talked with a neighbour."""
    st.button(
        t("classroom.vote_again"),
        icon="🔁",
        key="lesson_class_again",
        help=t("classroom.vote_again_help"),
        on_click=class_action,
        args=("again",),
        kwargs={"round": view["round"] + 1},
        disabled=view["round"] >= 3,
    )


def class_view(code: str, secret: str | None = None) -> dict | None:
    try:
        return get_store().view(code, secret)
    except ClassError:
        return None


# --- who is here: the teacher of a class, a phone that joined one, or a learner alone
teacher = session.teacher_class()
phone_code = None
if st.query_params.get(session.CLASS_PARAM) is not None and teacher is None:
    note_written(session.CLASS_PARAM)  # the lesson claims ?class=: the router keeps it in the URL
    phone_code, bad = session.joined_code()
    if bad is not None:
        st.error(t("classroom.bad_code", code=bad), icon="⚠️")
live = class_view(phone_code) if phone_code else None
follow = live is not None and following(phone_code) and not live["ended"] and 1 <= live["step"] <= len(STEPS)
if follow:
    follow_teacher(live, phone_code, "lesson")  # the teacher opened a full page: the phone goes there too
    STATE.set("step", live["step"])  # a late joiner lands on the teacher's step too

STATE.sync()
number = STATE.value("step")
STATE.write("step", number)
step = STEPS[number - 1]
st.session_state[RETURN_KEY] = number  # a full page opened from here links back to this step
if teacher is not None:  # the teacher's step drives the class (only a change moves the phones)
    now = class_view(teacher.code, teacher.secret)
    here = (now["step"], now["question"], now["page"]) if now is not None else None
    if now is not None and not now["ended"] and here != (number, step.key, "lesson"):  # also back from a page
        session.teach("move", step=number, page="lesson", section=step.section, question=step.key, options=len(OPTIONS))

if teacher is not None and st.session_state.get(JOIN_SCREEN):
    join_screen(teacher.code)
else:
    if not (presenting() or follow):  # on a projector (and a phone in a class) the step's own title is enough
        st.title(t("lesson.title"))
    if phone_code and not follow:
        class_bar(phone_code, dock=True)  # exploring (or the class ended): the bar says so and leads back
    # the teacher's step once revealed for everyone: its bars (labelled with the options) take the
    # options' place and the text column widens, so that the why fits the projector beside its picture
    before = (class_view(teacher.code, teacher.secret) or {}) if teacher is not None else {}
    revealed_here = bool(before.get("revealed")) and before.get("question") == step.key and not before.get("ended")
    navigation(number, teacher=teacher, alone=not follow, revealed=before if revealed_here else None)
    st.header(f"{number}. {t(f'lesson.{step.key}_title')}", anchor=f"step-{number}")
    wide = revealed_here or (teacher is None and not follow and settled(step))
    ask, picture = st.columns([1.3, 2.3] if wide else [1, 2.3], gap="medium" if wide else "large")
    with ask:
        st.markdown(t(f"lesson.{step.key}_point"))
        if step.lead is not None:
            step.lead()
        if teacher is not None:  # the bars take the picture's place until the reveal, then sit under the question
            revealed = class_question(
                number,
                teacher.code,
                secret=teacher.secret,
                bars=None if revealed_here else picture.container(),
                controls=not revealed_here,
            )
        elif follow:
            revealed = class_question(number, phone_code)
        else:
            revealed = question(number)
        why = st.container(key="lesson_why")  # its paragraph, after the reveal
    with picture:
        if revealed:  # the picture that shows why, only after the prediction (it would give it away)
            numbers = {k: v.replace("-", "\u2212") if isinstance(v, str) else v for k, v in step.view().items()}
            why.markdown(t(f"lesson.{step.key}_why", **numbers))  # negative numbers with a true minus sign
            # the revealed picture whole on the screen (presenter mode: with its controls), heading at the top
            scroll_to(f"step-{number}", exact=True)
        elif teacher is None:
            st.caption(t("lesson.answer_first"))
