"""Page state in the URL query string, so a shared link reproduces the exact view.

Each page declares its parameters once (name = the public URL parameter, default, range,
step) in a :class:`UrlState`. On the first run of a page view the URL is parsed — a bad
value (``abc``, ``nan``, ``1e308``, out of range, off the step grid) is replaced by the
default or clamped, with one small warning — and written into ``st.session_state`` under
a page-prefixed widget key. The widget helpers below then read the key and write the
current value back to the URL on every run.

We use ``st.query_params`` rather than ``bind="query-params"`` because binding drops bad
values silently (we must warn) and ties widget keys to URL names (we prefix keys by page).
"""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.i18n import t

WRITTEN_KEY = "_url_names_this_run"  # app.py resets it per run and drops stale params
PRESENT_KEY = "present"  # presenter mode: the URL parameter and the sidebar toggle's key (app.py)


def _safe(raw: str) -> str:
    """A user-supplied URL value, made harmless for Markdown inline code."""
    raw = raw.replace("`", "'").replace("\n", " ")
    return raw if len(raw) <= 24 else raw[:23] + "…"


def finite_number(raw: str) -> float | None:
    """A URL value as a finite float, or None (not a number, nan, ±inf)."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class FloatParam:
    """A real-valued control on a grid of ``step`` inside [lo, hi]."""

    name: str
    default: float
    lo: float
    hi: float
    step: float

    @property
    def decimals(self) -> int:
        return max(0, -math.floor(math.log10(self.step) + 1e-9))

    def snap(self, value: float) -> float:
        """Clamp into [lo, hi], then round to the nearest step."""
        n = round((min(max(value, self.lo), self.hi) - self.lo) / self.step)
        return round(min(self.lo + n * self.step, self.hi), self.decimals)

    def parse(self, raw: str) -> tuple[float, str | None]:
        """(value, message key or None) for one URL value."""
        value = finite_number(raw)
        if value is None:
            return self.default, "common.url_not_number"
        if value < self.lo or value > self.hi:
            return self.snap(value), "common.url_clamped"
        snapped = self.snap(value)
        if abs(snapped - value) > 1e-9:
            return snapped, "common.url_rounded"
        return snapped, None

    def fmt(self, value: float) -> str:
        text = f"{value:.{self.decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text


@dataclass(frozen=True)
class IntParam:
    """An integer control in [lo, hi] (seeds, sample counts, indices)."""

    name: str
    default: int
    lo: int
    hi: int

    def parse(self, raw: str) -> tuple[int, str | None]:
        value = finite_number(raw)
        if value is None:
            return self.default, "common.url_not_number"
        if value < self.lo or value > self.hi:
            return int(min(max(value, self.lo), self.hi)), "common.url_clamped"
        if value != int(value):
            return int(round(value)), "common.url_rounded"
        return int(value), None

    def fmt(self, value: int) -> str:
        return str(int(value))


@dataclass(frozen=True)
class ChoiceParam:
    """One of a fixed set of options; the URL holds ``str(option)``. Numeric options also accept any
    spelling of the same number (``1`` for ``1.0``, ``1e4`` or ``10,000`` for ``10000``): a teacher
    typing a link should not have to guess how Python prints it."""

    name: str
    default: Any
    options: tuple

    def parse(self, raw: str) -> tuple[Any, str | None]:
        text = raw.strip()
        for option in self.options:
            if str(option) == text:
                return option, None
        if all(isinstance(o, int | float) and not isinstance(o, bool) for o in self.options):
            try:
                number = float(text.replace(",", "").replace("_", ""))
            except ValueError:
                number = math.nan
            for option in self.options:
                if math.isclose(number, option, rel_tol=1e-9):
                    return option, None
        return self.default, "common.url_bad_choice"

    def fmt(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class BoolParam:
    """An on/off switch; the URL holds ``1`` or ``0``."""

    name: str
    default: bool

    def parse(self, raw: str) -> tuple[bool, str | None]:
        text = raw.strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True, None
        if text in ("0", "false", "no", "off"):
            return False, None
        return self.default, "common.url_bad_choice"

    def fmt(self, value: bool) -> str:
        return "1" if value else "0"


Param = FloatParam | IntParam | ChoiceParam | BoolParam


def presenting() -> bool:
    """Whether presenter mode is on (``present=1``)."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def note_written(name: str) -> None:
    """Record that this run owns URL parameter ``name`` (see app.py's stale cleanup)."""
    st.session_state.setdefault(WRITTEN_KEY, set()).add(name)


class UrlState:
    """The URL parameters of one page, mirrored into page-prefixed widget keys."""

    def __init__(self, page: str, *params: Param) -> None:
        self.page = page
        self.params = {p.name: p for p in params}

    def key(self, name: str) -> str:
        return f"{self.page}_{name}"

    def derive(
        self,
        page: str,
        names: Iterable[str],
        *,
        change: Mapping[str, Mapping[str, Any]] | None = None,
        rename: Mapping[str, str] | None = None,
    ) -> UrlState:
        """Some of this page's parameters under another widget-key prefix ``page`` — another view of
        the same controls (the lesson shows a page's live view): same ranges and steps, so the two
        cannot drift apart. ``change`` replaces fields of a parameter (``{"lam": {"default": 0.5}}``),
        ``rename`` its URL name (``{"step": "k"}``, where the other view's URL already uses ``step``)."""
        change, rename = change or {}, rename or {}
        names = tuple(names)
        unknown = (set(names) - set(self.params)) | (set(change) | set(rename)) - set(names)
        if unknown:
            raise KeyError(f"{sorted(unknown)}: not among {self.page}'s parameters, or not taken")
        return UrlState(
            page,
            *(
                dataclasses.replace(
                    self.params[name], **change.get(name, {}), **({"name": rename[name]} if name in rename else {})
                )
                for name in names
            ),
        )

    def value(self, name: str) -> Any:
        """The current value of a parameter (after :meth:`sync`)."""
        return st.session_state[self.key(name)]

    def set(self, name: str, value: Any) -> None:
        """Set a control's value — for preset buttons' ``on_click`` callbacks."""
        st.session_state[self.key(name)] = value

    def keep(self, name: str) -> Any:
        """Keep a control's value (and its URL parameter) on a run that does not draw its widget:
        Streamlit drops the state of a widget that is not drawn, and the URL must still hold it."""
        value = self.value(name)
        self.set(name, value)
        self.write(name, value)
        return value

    def new_seed(self, name: str = "seed") -> None:
        """``on_click`` callback of a "Resample" button: a fresh random seed in the parameter's range."""
        p = self.params[name]
        self.set(name, p.lo + secrets.randbelow(p.hi - p.lo + 1))

    def sync(self) -> None:
        """Seed every control that has no state yet from the URL; warn about bad values.

        Call once near the top of the page, before any of its widgets.
        """
        problems = []
        for name, param in self.params.items():
            key = self.key(name)
            if key in st.session_state:
                continue
            raw = st.query_params.get(name)
            if raw is None:
                st.session_state[key] = param.default
                continue
            value, problem = param.parse(raw)
            st.session_state[key] = value
            if problem:
                problems.append(t(problem, name=name, raw=_safe(raw), value=param.fmt(value)))
        if problems:
            st.warning("  \n".join(problems), icon="⚠️")

    def write(self, name: str, value: Any) -> None:
        """Mirror a value into the URL (it is what a copied link will reproduce)."""
        text = self.params[name].fmt(value)
        if st.query_params.get(name) != text:
            st.query_params[name] = text
        note_written(name)

    # --- widgets: each reads its page-prefixed key and writes the URL ----------------
    def slider(self, name: str, label: str, **kwargs) -> float | int:
        p = self.params[name]
        if isinstance(p, FloatParam):
            kwargs.setdefault("format", f"%.{p.decimals}f")
            value = st.slider(label, p.lo, p.hi, step=p.step, key=self.key(name), **kwargs)
        else:
            value = st.slider(label, p.lo, p.hi, step=1, key=self.key(name), **kwargs)
        self.write(name, value)
        return value

    def choice(
        self,
        name: str,
        label: str,
        format_func: Callable[[Any], str] = str,
        widget: Callable[..., Any] | None = None,
        **kwargs,
    ) -> Any:
        """A choice among the parameter's options (default widget: a segmented control)."""
        p = self.params[name]
        if widget is None:
            widget = st.segmented_control
            kwargs.setdefault("required", True)
        value = widget(label, p.options, format_func=format_func, key=self.key(name), **kwargs)
        if value is None:  # a deselectable widget was cleared: fall back to the default
            value = p.default
        self.write(name, value)
        return value

    def select_slider(self, name: str, label: str, **kwargs) -> Any:
        """A slider over the parameter's options (e.g. a log-spaced sample count)."""
        p = self.params[name]
        value = st.select_slider(label, options=p.options, key=self.key(name), **kwargs)
        self.write(name, value)
        return value

    def number(self, name: str, label: str, **kwargs) -> int | float:
        p = self.params[name]
        step = p.step if isinstance(p, FloatParam) else 1
        value = st.number_input(label, p.lo, p.hi, step=step, key=self.key(name), **kwargs)
        self.write(name, value)
        return value

    def toggle(self, name: str, label: str, **kwargs) -> bool:
        value = st.toggle(label, key=self.key(name), **kwargs)
        self.write(name, value)
        return value


def option_labels(prefix: str) -> Callable[[Any], str]:
    """format_func that translates option ``o`` as ``t(prefix + str(o))``, e.g. "gaussian_kl.land_" + "pq"."""
    return lambda o: t(f"{prefix}{o}")
