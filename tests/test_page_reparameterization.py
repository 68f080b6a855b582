"""The reparameterization page through AppTest: sliders, the f choice, presets, the baseline switch
and shared links drive the metrics; the VAE section fails soft without a model and works with one."""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from tests.apptest import ROOT, assert_clean, metric_value, open_page, rendered
from ui.i18n import catalogue
from vae_core.gradients import exact_gradient, per_sample_variances, variance_ratio

PAGE = "views/reparameterization.py"
EN = catalogue("en")


def ratio_metric(at, symbol: str) -> float:
    label = f"Var SF / Var RP ({symbol})"
    matches = [m for m in at.metric if m.label == label]
    assert len(matches) == 1, [m.label for m in at.metric]
    return float(matches[0].value.rstrip("×").replace(",", ""))


def assert_view(at, kind, mu, sigma, k):
    d_mu, d_sigma = (float(g) for g in exact_gradient(kind, mu, sigma, k))
    assert metric_value(at, "∂E_q[f]/∂μ") == pytest.approx(d_mu, abs=5e-5)
    assert metric_value(at, "∂E_q[f]/∂σ") == pytest.approx(d_sigma, abs=5e-5)
    var = per_sample_variances(kind, mu, sigma, k)
    for symbol, wrt in (("μ", "mu"), ("σ", "sigma")):
        exact = float(variance_ratio(var.get("score", wrt), var.get("pathwise", wrt)))
        assert ratio_metric(at, symbol) == pytest.approx(exact, rel=6e-3)  # shown to 3 significant figures


def variance_table(at) -> str:
    return next(
        m.value for m in at.markdown if m.value.startswith(f"| {EN['reparameterization.col_estimator']} | Var ∂μ")
    )


def test_defaults_show_the_smooth_case():
    at = rendered(PAGE, "zh")
    assert_clean(at)
    assert_view(at, "quad", 1.0, 1.0, 3.0)
    assert ratio_metric(at, "μ") == 21.8  # (a⁴ + 14a² + 15)/4 at a = −2, exactly 21.75
    assert (at.session_state["reparameterization_mu"], at.session_state["reparameterization_sigma"]) == (
        1.0,
        1.0,
    )  # the live view's start
    assert {k: at.query_params[k] for k in ("mu", "sigma", "f", "k", "baseline", "seed")} == {
        "mu": "1",
        "sigma": "1",
        "f": "quad",
        "k": "3",
        "baseline": "1",
        "seed": "0",
    }


def test_shared_link_reproduces_the_view():
    at = open_page(PAGE, "en", mu="0.5", sigma="0.7", f="cos", k="2.25", seed="4", baseline="0")
    assert_clean(at)
    assert not at.warning
    assert_view(at, "cos", 0.5, 0.7, 2.25)
    assert at.slider(key="reparameterization_k").value == 2.25
    assert at.button_group(key="reparameterization_f").value == "cos"
    assert EN["reparameterization.est_baseline"] not in variance_table(at)
    assert {k: at.query_params[k] for k in ("mu", "sigma", "f", "k", "seed", "baseline")} == {
        "mu": "0.5",
        "sigma": "0.7",
        "f": "cos",
        "k": "2.25",
        "seed": "4",
        "baseline": "0",
    }


def test_widgets_update_metrics_and_url():
    at = open_page(PAGE, "en")
    # μ and σ are live controls (a component AppTest cannot drive): set what their release sets
    at.session_state["reparameterization_mu"] = -1.25
    at.run()
    at.session_state["reparameterization_sigma"] = 0.4
    at.run()
    at.button_group(key="reparameterization_f").set_value("gauss").run()
    at.slider(key="reparameterization_k").set_value(6.5).run()
    assert_clean(at)
    assert_view(at, "gauss", -1.25, 0.4, 6.5)
    assert {k: at.query_params[k] for k in ("mu", "sigma", "f", "k")} == {
        "mu": "-1.25",
        "sigma": "0.4",
        "f": "gauss",
        "k": "6.5",
    }


def test_presets_flip_the_winner():
    at = open_page(PAGE, "en", mu="-2", sigma="2.5", f="gauss", k="0.5")
    {b.label: b for b in at.button}[EN["reparameterization.preset_cos"]].click().run()
    assert_view(at, "cos", 1.0, 1.0, 5.0)
    assert ratio_metric(at, "μ") < 1 and ratio_metric(at, "σ") < 1  # SF has the smaller variance
    assert at.query_params["f"] == "cos" and at.query_params["k"] == "5"
    {b.label: b for b in at.button}[EN["reparameterization.preset_smooth"]].click().run()
    assert_view(at, "quad", 1.0, 1.0, 3.0)
    assert ratio_metric(at, "μ") > 1
    {b.label: b for b in at.button}[EN["reparameterization.preset_gauss"]].click().run()
    assert_view(at, "gauss", 1.0, 1.0, 5.0)
    assert ratio_metric(at, "σ") < 1


def test_baseline_switch_and_the_exact_variance_table():
    at = open_page(PAGE, "en", mu="1", sigma="1", f="quad", k="5")
    rows = variance_table(at).splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == [
        EN["reparameterization.est_pathwise"],
        EN["reparameterization.est_score"],
        EN["reparameterization.est_baseline"],
    ]
    assert "124×" in rows[1]  # Mohamed et al.'s upper end: 123.75 at μ = σ = 1, k = 5
    at.toggle(key="reparameterization_baseline").set_value(False).run()
    assert EN["reparameterization.est_baseline"] not in variance_table(at)
    assert at.query_params["baseline"] == "0"


def test_check_expander_is_lazy_and_agrees_with_the_closed_form():
    at = open_page(PAGE, "en", mu="0.3", sigma="1.4", f="cos", k="1.5", seed="2")
    assert not any(m.value.startswith(f"| {EN['common.method']}") for m in at.markdown)  # closed: not computed
    at.session_state["reparameterization_check_open"] = True
    at.run()
    table = next(m.value for m in at.markdown if m.value.startswith(f"| {EN['common.method']} | ∂/∂μ"))
    rows = [[c.strip() for c in r.split("|")[1:-1]] for r in table.splitlines()[2:]]
    exact = [f"{float(g):.6f}" for g in exact_gradient("cos", 0.3, 1.4, 1.5)]
    assert rows[0][1:] == exact and rows[1][1:] == exact  # closed form = quadrature + finite differences
    for row in rows[2:]:  # Monte Carlo: within 4 standard errors of the closed form
        for cell, target in zip(row[1:], exact, strict=True):
            mean, se = (float(v) for v in cell.split("±"))
            assert abs(mean - float(target)) < 4 * se, row
    variances = next(m.value for m in at.markdown if EN["reparameterization.check_var_exact"] in m.value)
    z_scores = [float(r.split("|")[-2]) for r in variances.splitlines()[2:]]
    assert len(z_scores) == 6 and all(abs(z) < 5 for z in z_scores)


def test_seed_is_in_the_url_and_resample_changes_it():
    at = open_page(PAGE, "en", seed="17")
    assert at.number_input(key="reparameterization_seed").value == 17
    assert "17" in next(c.value for c in at.caption if c.value.startswith("Thin lines"))
    {b.label: b for b in at.button}[EN["common.resample"]].click().run()
    assert at.query_params["seed"] != "17"
    assert at.number_input(key="reparameterization_seed").value == int(at.query_params["seed"])


def test_extreme_corners_stay_finite():
    for params in (
        {"mu": "3", "sigma": "0.1", "f": "gauss", "k": "10"},
        {"mu": "-3", "sigma": "3", "f": "cos", "k": "10"},
        {"mu": "3", "sigma": "0.1", "f": "quad", "k": "0.1"},
    ):
        at = open_page(PAGE, "en", **params)
        assert_clean(at)
        for m in at.metric:
            assert re.fullmatch(r"-?[\d.,e+\-]+×?", m.value), (params, m.label, m.value)


def test_missing_model_gives_a_clear_message_and_the_rest_works(monkeypatch, tmp_path):
    from vae_core import checkpoint

    monkeypatch.setattr(checkpoint, "MODEL_DIR", tmp_path)
    at = open_page(PAGE, "en")
    assert_clean(at)
    assert any(e.value == EN["common.model_missing"] for e in at.error)
    assert_view(at, "quad", 1.0, 1.0, 3.0)


def test_vae_section_measures_the_ratio_on_a_model(monkeypatch, tmp_path):
    """A small untrained VAE saved as the 'shipped' model: the section measures both estimators."""
    from vae_core import checkpoint, data
    from vae_core import model as model_module

    try:
        data.load_holdout_binary()
    except data.DigitsFileError:
        pytest.skip("assets/digits.npz is not available")
    import torch

    torch.manual_seed(0)
    model = model_module.VAE(model_module.VAEConfig(encoder_hidden=[32], decoder_hidden=[32]))
    checkpoint.save_checkpoint(model, tmp_path, {"note": "test"})
    monkeypatch.setattr(checkpoint, "MODEL_DIR", tmp_path)
    at = open_page(PAGE, "en", digit="7")
    assert_clean(at)
    assert at.query_params["digit"] == "7"
    values = {m.label: float(m.value.rstrip("×").replace(",", "")) for m in at.metric if "∂μ)" in m.label}
    assert set(values) == {"Var SF / Var RP (∂μ)", "Var SF+b / Var RP (∂μ)"}
    assert all(np.isfinite(v) and v > 1 for v in values.values())
    assert values["Var SF / Var RP (∂μ)"] > values["Var SF+b / Var RP (∂μ)"]  # the baseline helps


def test_torch_is_not_imported_at_module_level():
    """The page and vae_core.gradients import torch only inside the VAE code path."""
    for path in (PAGE, "vae_core/gradients.py"):
        tree = ast.parse(Path(ROOT, path).read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        names = {a.name for n in top for a in n.names} | {n.module for n in top if isinstance(n, ast.ImportFrom)}
        assert not any(name and name.split(".")[0] in ("torch", "ui.model") for name in names), path
        assert "ui.model" not in names and "vae_core.checkpoint" not in names, path
