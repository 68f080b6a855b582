"""The lesson path through AppTest: steps in the chapter's order, the URL's step, next/previous,
predict-then-reveal (the picture and the numbers only after an answer), both languages."""

import pytest

from tests.apptest import assert_clean, open_page
from ui.i18n import catalogue
from ui.lesson import STEPS
from vae_core.gaussian import kl_normal

PAGE = "views/lesson.py"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_step_asks_then_reveals(lang):
    at = open_page(PAGE, lang)
    for number, step in enumerate(STEPS, start=1):
        assert_clean(at)
        assert at.query_params["step"] == str(number)
        assert f"{number}. {catalogue(lang)[f'lesson.{step.key}_title']}" == at.header[0].value
        assert not at.metric and not at.success and not at.info  # nothing given away before answering
        reveal = at.button(key=f"lesson_reveal_{step.key}")
        assert reveal.disabled  # commit to an answer first
        at.radio(key=f"lesson_choice_{step.key}").set_value(catalogue(lang)[f"lesson.{step.key}_{step.correct}"]).run()
        at.button(key=f"lesson_reveal_{step.key}").click().run()
        assert_clean(at)
        assert at.success, f"step {step.key}: the right answer is not confirmed"
        if number < len(STEPS):
            at.button(key="lesson_next").click().run()


def test_wrong_answer_is_corrected_with_the_numbers():
    at = open_page(PAGE, "en", step=str(1 + [s.key for s in STEPS].index("kl")))
    at.radio(key="lesson_choice_kl").set_value("KL(p‖q)").run()
    at.button(key="lesson_reveal_kl").click().run()
    assert at.info and "KL(q‖p)" in at.info[0].value
    why = at.markdown[-1].value
    assert f"{float(kl_normal(0, 1, 1, 1.5)):.4f}" in why and f"{float(kl_normal(1, 1.5, 0, 1)):.4f}" in why


def test_step_links_and_bad_steps():
    at = open_page(PAGE, "en", step="3")
    assert at.query_params["step"] == "3"
    at.button(key="lesson_prev").click().run()
    assert at.query_params["step"] == "2"
    at = open_page(PAGE, "en", step="99")
    assert_clean(at)
    assert at.query_params["step"] == str(len(STEPS)) and at.warning
    at = open_page(PAGE, "zh", step="abc")
    assert at.query_params["step"] == "1" and at.warning


@pytest.mark.parametrize("key", ["ledger", "optimize"])
def test_ledger_steps_start_the_optimizer_at_zero_whatever_the_lesson_step(key):
    """The live ledger's optimizer step has its own URL name (k): the lesson's ``step=2`` once leaked
    into it, so step 2 opened the ledger at q₂ of the optimizer's path instead of the student's q."""
    number = 1 + [s.key for s in STEPS].index(key)
    at = open_page(PAGE, "en", step=str(number))
    at.radio(key=f"lesson_choice_{key}").set_value(catalogue("en")[f"lesson.{key}_a"]).run()
    at.button(key=f"lesson_reveal_{key}").click().run()
    assert_clean(at)
    assert at.query_params["step"] == str(number) and at.query_params["k"] == "0"
