"""The lesson path through AppTest: steps in the chapter's order, the URL's step, next/previous,
predict-then-reveal (the picture and the numbers only after an answer), both languages."""

import numpy as np
import pytest

from tests.apptest import assert_clean, metric_value, open_page
from ui.i18n import catalogue
from ui.lesson import STEPS
from vae_core.gaussian import kl_normal

PAGE = "views/lesson.py"
OPTIONS = ("a", "b", "c")  # the order the page shows its options in


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


# --- each step's answer is true for its picture (checked against vae_core, not the lesson's code) ---
def reveal(lang: str, key: str, **params: str):
    step = next(s for s in STEPS if s.key == key)
    at = open_page(PAGE, lang, step=str(1 + STEPS.index(step)), **params)
    at.radio(key=f"lesson_choice_{key}").set_value(catalogue(lang)[f"lesson.{key}_{step.correct}"]).run()
    at.button(key=f"lesson_reveal_{key}").click().run()
    assert_clean(at)
    return at


def test_right_options_are_spread_over_a_b_c_in_a_fixed_order():
    letters = [s.correct for s in STEPS]
    counts = [letters.count(x) for x in "abc"]
    assert min(counts) >= 1 and max(counts) - min(counts) <= 1  # as even as the number of steps allows
    assert letters != sorted(letters)  # not a run of a's then b's
    at = open_page(PAGE, "en", step="1")  # the order on screen is the catalogue's, the same on every visit
    assert at.radio(key="lesson_choice_jensen").options == [catalogue("en")[f"lesson.jensen_{o}"] for o in "abc"]


def test_steps_1_and_3_keep_their_answer_for_the_reveal():
    for lang, give_away in (("en", ("larger", "does not depend")), ("zh", ("更大", "无关"))):
        for key in ("jensen", "optimize"):
            point = catalogue(lang)[f"lesson.{key}_point"] + catalogue(lang)[f"lesson.{key}_title"]
            assert not any(words in point for words in give_away), (lang, key)
        assert any(
            words in catalogue(lang)["lesson.jensen_why"] + catalogue(lang)["lesson.optimize_why"]
            for words in give_away
        )


@pytest.fixture(scope="module")
def model_and_holdout():
    from vae_core.checkpoint import load_checkpoint
    from vae_core.data import load_digits, load_holdout_binary

    return load_checkpoint(), load_holdout_binary(), load_digits("holdout")[1]


def test_step_8_the_path_from_a_3_to_a_7_passes_another_class(model_and_holdout):
    """The straight path's midpoint lies among other digits' codes (here 6s), not in a 3/7 blend."""
    from vae_core import latent

    model, images, labels = model_and_holdout
    mu, _ = latent.encode(model, images)
    assert (labels[167], labels[363]) == (3, 7)
    mid = 0.5 * (mu[167] + mu[363])
    nearest = labels[np.argsort(np.linalg.norm(mu - mid, axis=1))[:10]]
    winner = int(np.bincount(nearest).argmax())
    assert winner not in (3, 7)
    why = reveal("en", "latent").markdown[-1].value
    assert f"are {winner}s" in why and "a blend" not in why
    assert catalogue("en")["lesson.latent_b"].startswith("another digit")  # the option marked right


def test_step_5_the_best_gaussian_closes_the_gap(model_and_holdout):
    """Eq. 1.4.10's gap for digit #118 is mostly amortization: a Gaussian with the true posterior's own
    mean and s.d. (an upper bound on the best Gaussian's KL) already leaves a small fraction of it."""
    from vae_core import latent

    model, images, _ = model_and_holdout
    post = latent.digit_posterior(model, images[118])
    zz1, zz2 = np.meshgrid(post.z1, post.z2)
    (m1, m2), (s1, s2) = post.post_mean, post.post_sd
    log_q = -0.5 * (((zz1 - m1) / s1) ** 2 + ((zz2 - m2) / s2) ** 2) - np.log(2 * np.pi * s1 * s2)
    q = np.exp(log_q) * post.step**2
    moment_matched = float(np.sum(q * (log_q - post.log_density())) / q.sum())
    assert moment_matched < 0.1 * post.kl_posterior
    at = reveal("en", "vae_elbo")
    best = metric_value(at, catalogue("en")["lesson.vae_elbo_best"])
    assert 0 <= best <= moment_matched + 1e-9
    assert metric_value(at, "KL(q‖p(z|x))") == pytest.approx(post.kl_posterior, abs=1e-4)
    assert f"{100 * (1 - best / post.kl_posterior):.1f} %" in at.markdown[-1].value


def test_step_9_shows_the_log_px_of_the_drawing_and_the_one_before(model_and_holdout):
    from vae_core import latent
    from vae_core.preprocess import pack, starter_packed, unpack

    model, images, labels = model_and_holdout
    at = reveal("en", "draw")
    start = latent.digit_posterior(model, unpack(starter_packed())).log_px
    assert metric_value(at, "log p(x)") == pytest.approx(start, abs=0.05)
    one = images[np.nonzero(labels == 1)[0][0]]  # a student's neat 1: a holdout 1
    at.session_state["lesson_draw_draw"] = pack(one)
    at.run()
    assert_clean(at)
    now = latent.digit_posterior(model, one).log_px
    assert metric_value(at, "log p(x)") == pytest.approx(now, abs=0.05)
    (shown,) = [m for m in at.metric if m.label == "log p(x)"]
    assert shown.proto.delta.startswith(f"{now - start:.1f}")  # the comparison with the drawing before
    assert now > start  # a 1 beats the starter 2, as the answer says a 1 beats a neat 8
    assert f"log p(x) = {now:.1f}".replace("-", "−") in at.markdown[-1].value


def test_step_10_draws_epoch_0_and_the_model_that_ignores_z(model_and_holdout):
    """The ignore-z line: every pixel Bernoulli at its training-set mean ink (computed here with a
    clip instead of the lesson's half count), on a linear epoch axis that starts at 0."""
    import json

    from vae_core.data import load_digits, to_unit_interval

    _, images, _ = model_and_holdout
    p = np.clip(to_unit_interval(load_digits("train")[0]).reshape(-1, 784).mean(axis=0), 1e-6, 1 - 1e-6)
    base = float(np.mean(images @ np.log(p) + (1 - images) @ np.log1p(-p)))
    assert base == pytest.approx(-205.0, abs=0.1)
    at = reveal("en", "training")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    curve, line = spec["data"][:2]
    assert curve["x"][0] == 0 and spec["layout"]["xaxis"].get("type", "linear") == "linear"
    assert line["y"][0] == pytest.approx(base, abs=0.05)
    assert f"{base:.1f}".replace("-", "−") in at.markdown[-1].value
    assert spec["layout"]["xaxis"]["fixedrange"] and spec["layout"]["yaxis"]["fixedrange"]


# --- a live class: the teacher's session drives, a phone's session follows (the store is the oracle) ---
def has(widgets, prefix: str) -> bool:
    return any((w.key or "").startswith(prefix) for w in widgets)


def _teacher(lang: str = "en", step: str = "1"):
    from ui.classroom.session import TEACHER_KEY

    at = open_page(PAGE, lang, step=step, present="1")
    at.button(key="lesson_class_start").click().run()
    assert_clean(at)
    made = at.session_state[TEACHER_KEY]
    return at, made


def test_teacher_starts_a_class_and_the_join_link_carries_only_the_code():
    from ui.classroom.store import get_store

    at, made = _teacher()
    texts = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert [m.value for m in at.metric] == [made.code]  # the code in large type
    assert made.secret not in texts and "present=" not in texts
    at.button(key="lesson_class_qr").click().run()  # the full-screen QR code, the short link in large type
    assert f"## /lesson?class={made.code}" in [m.value for m in at.markdown]
    assert made.secret not in " ".join(m.value for m in at.markdown)
    assert catalogue("en")["classroom.nothing_personal"].split(":")[0] in texts
    view = get_store().view(made.code, made.secret)  # the teacher's step is the class's step
    assert (view["step"], view["question"], view["options"]) == (1, STEPS[0].key, 3)
    at.button(key="lesson_class_join_hide").click().run()
    at.button(key="lesson_next").click().run()
    assert_clean(at)
    view = get_store().view(made.code, made.secret)
    assert (view["step"], view["question"]) == (2, STEPS[1].key)
    version = view["version"]
    at.run()  # a rerun on the same step does not move the class (phones would rerun for nothing)
    assert get_store().view(made.code, made.secret)["version"] == version


def test_teacher_reveals_for_everyone_and_starts_a_second_round():
    from ui.classroom.store import get_store

    at, made = _teacher(step="2")
    at.button(key="lesson_class_join_hide").click().run()
    key = STEPS[1].key
    assert not has(at.radio, "lesson_choice_")  # the class votes on the phones: no private answer on the projector
    assert not at.success
    get_store().vote(made.code, "phone-token-aaaaaa", key, 1, 0)
    at.button(key="lesson_class_show").click().run()
    assert get_store().view(made.code)["shown"]  # phones see the counts now
    at.button(key="lesson_class_reveal").click().run()
    assert_clean(at)
    # the projector: the class bar says the answer above how the class split (tests/browser/
    # test_classroom.py sees it), the options' list and the reveal button give the why their room
    assert not at.success and not has(at.button, "lesson_class_reveal") and not has(at.button, "lesson_class_show")
    texts = [m.value for m in at.markdown]
    assert not any(text.startswith("1. ") for text in texts)
    assert any(text.startswith(catalogue("en")[f"lesson.{key}_why"][:12]) for text in texts), texts
    at.button(key="lesson_class_again").click().run()
    view = get_store().view(made.code, made.secret)
    assert view["round"] == 2 and not view["revealed"] and view["counts"]["1"] == [1, 0, 0]
    at.button(key="lesson_class_end").click().run()
    assert get_store().view(made.code)["ended"]
    assert at.button(key="lesson_class_start")  # the teacher is back to the lesson alone


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phone_follows_the_class_and_sees_the_reveal(lang):
    from ui.classroom.store import get_store

    store = get_store()
    made = store.create()
    store.move(made.code, made.secret, step=2, page="lesson", question=STEPS[1].key, options=3)
    at = open_page(PAGE, lang, **{"class": made.code.lower()})  # a late joiner, the code typed in lower case
    assert_clean(at)
    assert at.query_params["class"] == made.code.lower() and at.query_params["step"] == "2"
    assert f"2. {catalogue(lang)[f'lesson.{STEPS[1].key}_title']}" == at.header[0].value
    assert not has(at.button, "lesson_next") and not has(at.radio, "lesson_choice_")  # a phone votes, never drives
    assert not at.success
    store.move(made.code, made.secret, step=4, page="lesson", question=STEPS[3].key, options=3)
    at.run()
    assert at.query_params["step"] == "4"
    store.reveal(made.code, made.secret)
    at.run()
    answer = catalogue(lang)[f"lesson.{STEPS[3].key}_{STEPS[3].correct}"]
    assert at.success and answer in at.success[0].value
    store.end(made.code, made.secret)
    at.run()
    assert_clean(at)
    assert has(at.button, "lesson_next")  # the class ended: the phone explores alone


def test_unknown_class_code_says_so():
    at = open_page(PAGE, "zh", **{"class": "ZZZZZ"})
    assert_clean(at)
    assert at.error and "ZZZZZ" in at.error[0].value
    assert at.error[0].value == catalogue("zh")["classroom.bad_code"].format(code="ZZZZZ")


def test_going_back_keeps_the_answer_and_the_reveal():
    at = open_page(PAGE, "en", step="4")
    key = STEPS[3].key
    wrong = next(o for o in OPTIONS if o != STEPS[3].correct)
    at.radio(key=f"lesson_choice_{key}").set_value(catalogue("en")[f"lesson.{key}_{wrong}"]).run()
    at.button(key=f"lesson_reveal_{key}").click().run()
    assert at.info
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_prev").click().run()
    assert_clean(at)
    assert at.radio(key=f"lesson_choice_{key}").value == catalogue("en")[f"lesson.{key}_{wrong}"]
    assert at.info and catalogue("en")[f"lesson.{key}_{STEPS[3].correct}"] in at.info[0].value


def test_step_9_class_elbos_on_the_served_numpy_model_match_torch(model_and_holdout):
    """The app serves a NumpyVAE: step 9's class averages must be the torch model card's numbers
    (the torch-only helper once raised on it, so the step's reveal crashed)."""
    from ui.lesson import _mean_elbo
    from vae_core import np_vae
    from vae_core.timeline import elbo_summary

    model, images, labels = model_and_holdout
    ones = images[labels == 1]
    assert _mean_elbo(np_vae.NumpyVAE.from_torch(model), ones) == pytest.approx(
        elbo_summary(model, ones)["elbo"], abs=1e-4
    )


# --- the bridge to diffusion: the last three steps' answers against vae_core, computed another way ---
def test_vae_t1_step_the_t1_ledger_is_the_toy_models_elbo():
    from ui.diffusion_data import BRIDGE, BRIDGE_BETA
    from vae_core.toy_model import elbo as toy_elbo

    x, w, noise = BRIDGE.x, BRIDGE.w, BRIDGE.noise
    qmu, qsigma = np.sqrt(1 - BRIDGE_BETA) * x, np.sqrt(BRIDGE_BETA)
    want = float(toy_elbo(x, w, noise, qmu, qsigma))
    shown = " ".join(m.value for m in reveal("en", "vae_t1").markdown).replace("\u2212", "-")
    assert shown.count(f"{want:.4f}") >= 4  # the table's two rows and the answer's two numbers: both libraries agree
    assert catalogue("en")["lesson.vae_t1_a"].startswith("1")


def test_x_big_t_step_x_t_is_noise_whatever_the_digit():
    from vae_core import diffusion as d

    ab = d.make_schedule(1000, "linear").alpha_bar[-1]
    kl = 784 * 0.5 * (-np.log1p(-ab))  # KL(N(√ᾱ x₀, 1−ᾱ) ‖ N(0, 1)) for x₀² = 1: ½(ᾱ + (1−ᾱ) − 1 − log(1−ᾱ))
    why = reveal("en", "x_big_t").markdown[-1].value
    assert f"{np.sqrt(ab):.4f}" in why and f"{kl:.3f}" in why and kl < 0.05
    # the right answer (b) is true of the picture: the x_T pixels are N(0, 1) and do not follow the digit
    from ui import diffusion_data as data
    from ui.lesson import X_BIG_T_CLASSES

    bits, labels = data.holdout_digits()
    sched = d.make_schedule(1000, "linear")
    for seed, c in enumerate(X_BIG_T_CLASSES):
        x0 = data.signed(bits[np.flatnonzero(labels == c)[0]])
        xT = data.noised(x0, sched, 1000, seed)
        assert abs(xT.mean()) < 0.15 and abs(xT.std() - 1) < 0.1 and abs(np.corrcoef(x0, xT)[0, 1]) < 0.12


def test_ddpm_term_step_the_card_adds_up_and_the_prior_term_is_the_schedules():
    import json

    from vae_core import diffusion as d
    from vae_core.data import ASSETS_DIR

    card = json.loads((ASSETS_DIR / "ddpm" / "model_card.json").read_text())["holdout_bound"]
    ab = d.make_schedule(1000, "linear").alpha_bar[-1]
    assert card["prior_LT"] == pytest.approx(784 * 0.5 * (-np.log1p(-ab)), abs=1e-4)
    total = -card["reconstruction_L0"] + card["prior_LT"] + card["denoising_sum"]
    assert total == pytest.approx(card["neg_elbo"]["mean"], abs=1e-3)
    assert card["denoising_sum"] / total > 0.99  # the right answer (a): the bound is the denoising terms
    why = reveal("en", "ddpm_term").markdown[-1].value
    assert f"{card['neg_elbo']['mean']:.1f}" in why and f"{card['prior_LT']:.3f}" in why
