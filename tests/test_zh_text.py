"""The Chinese text as a native reader checks it: one word per concept, 上凸/下凸 (never a bare 凹/凸,
which Chinese textbooks use in opposite senses), multiples and punctuation written the Chinese way,
and no English on a zh page — in its text, its charts' titles, axes, legends and notes, and the
strings its live views draw — on every page and on every lesson step once its answer is revealed."""

from __future__ import annotations

import json
import re

import pytest

from tests import apptest
from tests.apptest import assert_clean, english_words, open_page, rendered, visible_texts
from ui.i18n import catalogue
from ui.lesson import STEPS
from ui.registry import HOME, built_pages

ZH = catalogue("zh")

# (pattern, what to write instead): each is a word or a form the catalogue settled on another for.
FORBIDDEN = [
    (r"凹函数|(?<![上下])凸函数", "上凸函数 / 下凸函数"),
    (r"(?<![上下“])凸(?!”)|(?<!“)凹(?!”)", "上凸 / 下凸 (a bare 凸 or 凹 only inside “” when the words are discussed)"),
    (r"账", "ELBO 分解"),
    (r"差值", "间隙 (or 两者之差 for a numerical difference)"),
    (r"路径导数", "路径梯度"),
    (r"核对", "验算"),
    (r"星号", "星标"),
    (r"有符号(的)?面积|带符号的面积", "带符号面积"),
    (r"动手试一试|试试看", "动手试试"),
    (r"章节中|§", "本节 / 1.4.2.2 节"),
    (r"隐变量探索|隐空间探索", "隐空间漫游 (the page's name)"),
    (r"缩小了\s*\S+\s*倍|大了\s*\S+\s*倍", "缩小到原来的 1/N；是前者的 N 倍"),
    (r"数值很大且为负", "绝对值很大的负数"),
    (r"——", "a colon, a comma or two sentences (no em-dash chains)"),
    (r"老实说|配方", "plainer words"),
    (r"式 \(|式\(", "式 1.4.5 (no brackets)"),
    (r"第 k = ", "第 {k} 步"),
    (r"\d,\d{3}(?!\d)", "5000 (no thousands separator in Chinese)"),
    (r'"', "“” (Chinese quotation marks)"),
    (r"\bnats\b", "奈特"),
]
# The one place that names the unit in both scripts, on purpose.
ALLOWED = {("home.how", r"\bnats\b")}


@pytest.mark.parametrize(("pattern", "instead"), FORBIDDEN, ids=[p for p, _ in FORBIDDEN])
def test_zh_catalogue_uses_one_word_per_concept(pattern, instead):
    rule = re.compile(pattern)
    found = {
        key: rule.search(text).group(0)
        for key, text in ZH.items()
        if rule.search(text) and (key, pattern) not in ALLOWED
    }
    assert not found, f"write {instead}: {found}"


def test_the_rules_catch_what_they_are_for():
    """Each rule fires on the phrase it was written against (a rule that cannot fail guards nothing)."""
    samples = [
        "log 是凹函数",
        "f 是凸函数（下凸）",
        "下方的账本",
        "差值 KL",
        "路径导数",
        "详见核对",
        "黄色星号",
        "有符号面积",
        "动手试一试",
        "正是章节中的写法",
        "隐变量探索页",
        "缩小了 9.2 倍",
        "数值很大且为负",
        "输入——像 MNIST",
        "老实说",
        "式 (1.4.5)",
        "第 k = 3 步",
        "在 4,500 个数字上",
        'KL 很"贵"',
        "以 nats 为单位",
    ]
    for (pattern, _), sample in zip(FORBIDDEN, samples, strict=True):
        assert re.search(pattern, sample), (pattern, sample)
    for fine in (
        "log 是上凸函数",
        "下凸函数的情形",
        "对“凸”“凹”的叫法",
        "ELBO 分解",
        "间隙",
        "缩小到原来的 1/10",
        "5000",
    ):
        assert not any(re.search(p, fine) for p, _ in FORBIDDEN[:2] + FORBIDDEN[11:12] + FORBIDDEN[17:18]), fine


# --- rendered pages -----------------------------------------------------------------------------
# Names that stay as they are in Chinese: the shared ones (tests.apptest.NAMES) and tools, optimizers,
# activations and keys; unlike the shared smoke test's list, no English words (recon, nats, …).
NAMES = apptest.NAMES | {
    "AdamW",
    "Adam",
    "ReLU",
    "GELU",
    "Tanh",
    "tanh",
    "relu",
    "gelu",
    "sigmoid",
    "PyTorch",
    "Streamlit",
    "Plotly",
    "Chromium",
    "Safari",
    "WeChat",
    "Shift",  # a key's name, as printed on the keyboard
}
# Deliberate English in a zh string: the unit's international name, given once where 奈特 is introduced.
EXEMPT = ("（nats，",)


def _english(text: str) -> set[str]:
    for phrase in EXEMPT:
        text = text.replace(phrase, " ")
    return {w for w in english_words(text) | _words_in_math_free(text) if w not in NAMES}


def _words_in_math_free(text: str) -> set[str]:
    """english_words() trusts a shared list that still names a few English words: recheck those."""
    return {w for w in re.findall(r"(?<![\\$`_^{])\b(?:recon|nats|seed|lang|Language)\b", text)}


def _chart_texts(at) -> list[str]:
    """The strings a learner reads on a plotly chart: titles, axis titles, trace names, annotations."""
    out: list[str] = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        for value in layout.values():
            if isinstance(value, dict):
                title = value.get("title")
                out.append(title.get("text", "") if isinstance(title, dict) else title or "")
        title = layout.get("title")
        out.append(title.get("text", "") if isinstance(title, dict) else title or "")
        out += [a.get("text", "") for a in layout.get("annotations", [])]
        out += [trace.get("name", "") for trace in spec.get("data", []) if trace.get("showlegend", True) is not False]
    return [re.sub(r"<[^>]+>", " ", text) for text in out if isinstance(text, str)]


def _live_texts(at) -> list[str]:
    """The translated strings each live view receives (its ``text`` dict) to draw in the browser."""
    out: list[str] = []

    def walk(node, inside: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, inside or key == "text")
        elif isinstance(node, list):
            for value in node:
                walk(value, inside)
        elif inside and isinstance(node, str):
            out.append(re.sub(r"\{[a-z_]+\}", " ", node))

    for view in at.get("bidi_component"):
        try:
            walk(json.loads(view.proto.json), False)
        except (ValueError, AttributeError):
            continue
    return out


def _leftovers(at) -> list[str]:
    texts = [text for _, text in visible_texts(at)] + _chart_texts(at) + _live_texts(at)
    return sorted({f"{sorted(_english(text))}: {text[:70]}" for text in texts if _english(text)})


@pytest.mark.parametrize("page", [HOME, *built_pages()], ids=lambda p: p.slug)
def test_zh_page_shows_no_english(page):
    at = rendered(page.file, "zh")
    assert_clean(at)
    assert not _leftovers(at)


@pytest.mark.parametrize("number", range(1, len(STEPS) + 1))
def test_zh_lesson_step_shows_no_english_after_the_reveal(number):
    step = STEPS[number - 1]
    at = open_page("views/lesson.py", "zh", step=str(number))
    at.radio(key=f"lesson_choice_{step.key}").set_value(ZH[f"lesson.{step.key}_{step.correct}"]).run()
    at.button(key=f"lesson_reveal_{step.key}").click().run()
    assert_clean(at)
    assert at.success
    assert not _leftovers(at)


def test_the_check_sees_english_in_charts_and_live_views():
    """The recon label once shipped in English on three zh pages: the check must see each kind."""
    assert _english("log p(x|z) (recon)") == {"recon"}
    assert not _english("重建项 log p(x|z)")
    assert _english("单位 nats") == {"nats"}
