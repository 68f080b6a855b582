"""The live class in the page (static/live/class.js): a phone's class bar — the class code,
following or exploring, the vote buttons and, once shown, the counts — and the teacher's live vote
bars. The browser follows the class over HTTP (ui/classroom/http.py) and reports to Python only
when what the page shows must change (the teacher moved, showed, revealed, started a round, ended):
one rerun per teacher action, none per poll.

    view = class_bar(code)                               # a phone; returns the store's view or None
    class_bar(code, question="kl", labels=[...])         # … with vote buttons for that question
    class_bar(code, role="teacher", secret=s, question="kl", labels=[...])   # the projector's bars
    following(code)                                      # False after the phone's "explore freely"
"""

from __future__ import annotations

import streamlit as st

from ui.classroom import session
from ui.classroom.http import API
from ui.classroom.store import ClassError, get_store, normalize_code
from ui.i18n import catalogue, current_lang
from ui.live import register
from ui.registry import LESSON, built_pages
from ui.state import note_written

_CLASS = register("class")
PHONE_STRINGS = (
    "code",
    "following",
    "exploring",
    "explore",
    "back",
    "vote",
    "vote_again",
    "voted",
    "vote_refused",
    "offline",
    "wait",
    "ended",
    "gone",
    "count",
    "answered",
)


def _key(code: str, role: str) -> str:
    return f"live_class_{role}_{code}"


def following(code: str) -> bool:
    """Whether this phone follows the teacher (True until "explore freely"; again after "back")."""
    try:
        code = normalize_code(code)
    except ClassError:
        return True
    state = st.session_state.get(_key(code, "phone")) or {}
    return state.get("following") is not False


def class_bar(
    code: str,
    *,
    role: str = "phone",
    secret: str | None = None,
    question: str | None = None,
    labels: list[str] | None = None,
    head: bool = True,
    compact: bool = False,
    answer: int | None = None,
    dock: bool = False,
) -> dict | None:
    """Mount the class bar for ``code`` → the class as the store has it now (the teacher's view with
    ``secret``), or None when the class is unknown or expired (the bar then says so).

    ``question`` and its option ``labels`` (in the page's language) draw the vote buttons (phones)
    or the live bars (teacher) while that question is the class's current one (``compact``: smaller
    bars, for a narrow column on the projector). ``answer``: the index of the right option, marked
    beside its bar once the teacher revealed that question (never sent before). ``dock``: on a phone,
    the bar stays on the screen, at its bottom edge, however far the page scrolls. Call it once per run;
    the page then follows ``view["step"]``, ``view["revealed"]``, … and :func:`following`."""
    try:
        code = normalize_code(code)
        view = get_store().view(code, secret if role == "teacher" else None)
    except ClassError:
        view = None
        code = str(code)[:8]
    strings = catalogue(current_lang())
    data = {
        "api": f"{API.lstrip('/')}/{code}",  # relative: also under a server.baseUrlPath
        "role": role,
        "view": view,
        "question": question or "",
        "labels": list(labels or []),
        "following": following(code) if role == "phone" else True,
        "showHead": head,
        "compact": compact,
        "answer": None,
        "dock": dock,
        "strings": {name: strings[f"classroom.phone.{name}"] for name in PHONE_STRINGS},
    }
    if answer is not None and labels and view is not None and view["revealed"] and view["question"] == question:
        from ui.i18n import t

        data["answer"] = answer  # never before the reveal: a phone's page data would give it away
        data["answerText"] = t("classroom.answer", answer=labels[answer])
    if role == "teacher" and secret:
        data["secret"] = secret  # only ever sent to the teacher's own session
    _CLASS(key=_key(code, role), data=[data], on_moved_change=lambda: None, on_following_change=lambda: None)
    return view


def join_panel(code: str, join_url: str, *, qr_width: int = 420) -> None:
    """The teacher's join screen: a QR code big enough for the back rows, the code in large type,
    how to join, and what is (not) stored. ``join_url`` is the full link (``…/lesson?class=CODE``:
    never the secret, never ``present=1``)."""
    from ui.i18n import t
    from ui.share import qr_svg

    code = normalize_code(code)
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.image(qr_svg(join_url), width=qr_width, caption=t("classroom.join_title"))
    with right:
        st.metric(t("classroom.code_label"), code)  # metric type: large, larger still in presenter mode
        st.markdown(t("classroom.join_help", url=join_url, code=code))  # the whole link: there is no code field
        st.caption(t("classroom.nothing_personal", hours=f"{get_store().ttl_s / 3600:g}"))


RETURN_KEY = "lesson_return"  # the lesson step this tab last showed (views/lesson.py sets it)


def _page_by_path(url_path: str):
    for info in (LESSON, *built_pages()):
        if info.url_path == url_path:
            return info
    return None


def follow_teacher(view: dict, code: str, here: str) -> None:
    """A phone that follows ``view``'s class goes to the teacher's page (``st.switch_page``, which
    stops this run) and section; ``here`` is this page's url_path. A class that has not left the
    lesson (page "" or "lesson") keeps the phone on the lesson."""
    target = view.get("page") or LESSON.url_path
    section = view.get("section") or ""
    if target != here:
        info = _page_by_path(target)
        if info is not None:
            # the phone's language goes with it: st.switch_page's new run lost the session's choice
            # (a phone joined with ?lang=zh landed on the teacher's page in English)
            params = {session.CLASS_PARAM: code, "lang": current_lang()}
            if section and target != LESSON.url_path:
                params["section"] = section
            st.switch_page(info.file, query_params=params)
    elif section and here != LESSON.url_path and st.query_params.get("section") != section:
        st.query_params["section"] = section  # app.py's section scroll (static/live/section.js) takes it


def class_on_page(here: str, top) -> None:
    """The live class on a full page (app.py, before the page runs; the lesson has its own).

    The teacher's tab: opening a page (and section) moves the class there, and ``top`` (the
    presenter row, or the page's top) gets a link back to the lesson's step. A phone with
    ``?class=``: the class bar on top and, while it follows, the teacher's page and section."""
    if here == LESSON.url_path:
        return
    from ui.i18n import t

    back = st.session_state.get(RETURN_KEY)
    if back:  # the step this tab came from, with its answer and reveal (session state keeps them)
        top.container(key="lesson_back").page_link(  # fixed on the projector (static/live/present.css)
            LESSON.file, label=t("lesson.back_to_step", n=back), icon="↩️", query_params={"step": str(back)}
        )
    teacher = session.teacher_class()
    if teacher is not None:
        if here:  # the home page is no place to take a class
            session.teach_page(here, st.query_params.get("section") or "")
        return
    if st.query_params.get(session.CLASS_PARAM) is None:
        return
    note_written(session.CLASS_PARAM)  # a phone keeps ?class= on every page it follows the class to
    code, bad = session.joined_code()
    if code is None:
        st.error(t("classroom.bad_code", code=bad), icon="⚠️")
        return
    view = class_bar(code, dock=True)  # on a phone, "back to the class" stays on the screen wherever it scrolls
    if view is not None and not view["ended"] and following(code):
        follow_teacher(view, code, here)
