"""Helpers for Streamlit AppTest: open any page of the app, in a language, with URL params."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 60  # import torch alone takes > 1 s; AppTest's default of 3 s is too short


def open_page(file: str, lang: str = "en", **params: str) -> AppTest:
    """Run app.py, switch to ``file`` (e.g. "views/gaussian_kl.py") with the given URL params."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    if file == "views/home.py":
        at.query_params.update({k: str(v) for k, v in params.items()})
        return at.run()
    at.run()
    at.switch_page(file)
    at.query_params.update({k: str(v) for k, v in params.items()})
    return at.run()


_RENDERED: dict[tuple, tuple[AppTest, object]] = {}


def rendered(file: str, lang: str = "en", **params: str) -> AppTest:
    """``open_page(file, lang, **params)``, run once per test process and shared by every test that
    asks for the same page, language and parameters (an AppTest render costs seconds of CPU).
    Read it only: set no widget and call no ``run()`` on it (use ``open_page`` for that). Each xdist
    worker has its own cache (a module's tests run on one worker: ``--dist loadfile``)."""
    key = (file, lang, tuple(sorted((k, str(v)) for k, v in params.items())))
    if key not in _RENDERED:
        at = open_page(file, lang, **params)
        _RENDERED[key] = (at, at._tree)
    at, tree = _RENDERED[key]
    # each run() replaces the element tree: a test that reran a shared render would change what the
    # next test reads
    assert at._tree is tree, f"a test reran the shared render of {key}; use open_page() to change a page"
    return at


def assert_clean(at: AppTest) -> None:
    """No exception element and no uncaught error on the page."""
    assert not at.exception, [e.value for e in at.exception]


def metric_value(at: AppTest, label: str) -> float:
    """The numeric value of the metric with this exact label."""
    matches = [m for m in at.metric if m.label == label]
    assert len(matches) == 1, f"expected one metric {label!r}, found {[m.label for m in at.metric]}"
    return float(matches[0].value.replace("−", "-").replace("\u2009", "").replace(",", ""))


# Element types whose text a learner reads (widget *values* and code/LaTeX are excluded).
_TEXT_TYPES = {
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "warning",
    "info",
    "success",
    "error",
    "text",
    "toast",
}
_LABELLED_TYPES = {
    "button",
    "slider",
    "select_slider",
    "selectbox",
    "radio",
    "number_input",
    "toggle",
    "checkbox",
    "button_group",
    "expander",
    "metric",
    "tab",
    "text_input",
    "multiselect",
    "download_button",
    "page_link",
}


def visible_texts(at: AppTest) -> Iterator[tuple[str, str]]:
    """(element type, text) for every string a learner reads on the current page."""

    def walk(node):
        kind = getattr(node, "type", "")
        if kind in _TEXT_TYPES and isinstance(getattr(node, "value", None), str):
            yield kind, node.value
        if kind in _LABELLED_TYPES and isinstance(getattr(node, "label", None), str):
            yield kind, node.label
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)

    yield from walk(at._tree)


ENGLISH_WORD = re.compile(r"(?<![\\$`_^{])\b[A-Za-z]{4,}\b")
# Proper names, acronyms and math identifiers: the same in both languages.
NAMES = {
    "Mohamed",
    "JMLR",
    "Kingma",
    "Welling",
    "Burda",
    "Grosse",
    "Salakhutdinov",
    "ELBO",
    "IWAE",
    "MNIST",
    "Jensen",
    "Gibbs",
    "English",
    "Language",  # the sidebar's "语言 · Language": how a reader of the other language finds the switch
    "softplus",
    "logit",
    "logits",
    "scipy",
    "quad",
    "torch",
    "numpy",
    "Bernoulli",
    "REINFORCE",
    "diag",
    "URL",
    "DDPM",
    "cuda",
    "cpu",
    "mps",
}
# … and, for the shared smoke test, a few English words a page may show (recon, nats, …).
NEUTRAL_WORDS = NAMES | {"nats", "recon", "lang", "seed"}


def english_words(text: str) -> set[str]:
    """English-looking words in ``text`` outside inline code/math and the neutral list."""
    text = re.sub(r":[a-z-]+\[", "[", text)  # Streamlit colour directives, e.g. :blue[...]
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a Markdown link's target (e.g. #ledger) is not shown
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return {w for w in ENGLISH_WORD.findall(text) if w not in NEUTRAL_WORDS}
