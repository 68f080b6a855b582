"""The live class in a Streamlit session: who is the teacher here, which class a phone joined.

The teacher's secret lives in this session's state only (the teacher's browser tab): never in a
URL, never in a join link. A phone joins with ``?class=CODE``.
"""

from __future__ import annotations

import streamlit as st

from ui.classroom.store import ClassError, NewClass, get_store, normalize_code

CLASS_PARAM = "class"
TEACHER_KEY = "class_teacher"


def start_class() -> NewClass:
    """Create a class driven by this session (its secret stays in session state)."""
    made = get_store().create()
    st.session_state[TEACHER_KEY] = made
    return made


def teacher_class() -> NewClass | None:
    """The class this session teaches, while it is alive (None after it expired)."""
    made = st.session_state.get(TEACHER_KEY)
    if made is None:
        return None
    try:
        get_store().view(made.code, made.secret)
    except ClassError:
        del st.session_state[TEACHER_KEY]
        return None
    return made


def teach(action: str, **args) -> dict | None:
    """A teacher action on this session's class (see ClassStore.teach); None without a class."""
    made = teacher_class()
    if made is None:
        return None
    try:
        return get_store().teach(made.code, made.secret, action, **args)
    except ClassError:
        return None


def teach_page(page: str, section: str = "") -> None:
    """The teacher opened ``page`` (a url_path) at ``section``: the class goes there (the step and
    its question stay), unless it is there already (no version bump, no phone woken)."""
    made = teacher_class()
    if made is None:
        return
    try:
        now = get_store().view(made.code, made.secret)
        if not now["ended"] and (now["page"], now["section"]) != (page, section):
            get_store().move(made.code, made.secret, page=page, section=section)
    except ClassError:
        pass


def end_class() -> None:
    made = st.session_state.pop(TEACHER_KEY, None)
    if made is not None:
        try:
            get_store().end(made.code, made.secret)
        except ClassError:
            pass


def joined_code(raw: str | None = None) -> tuple[str | None, str | None]:
    """``?class=`` (or ``raw``) → (the canonical code of a live class, None) or (None, the bad value)."""
    raw = st.query_params.get(CLASS_PARAM) if raw is None else raw
    if not raw:
        return None, None
    try:
        code = normalize_code(raw)
        get_store().view(code)
        return code, None
    except ClassError:
        return None, str(raw)[:12]


def join_path(code: str, page: str = "lesson") -> str:
    """The path of a join link (no secret, no present=1)."""
    return f"/{page}?{CLASS_PARAM}={code}"
