"""Live views of the ELBO page (views/elbo.py), drawn in the browser at every frame:

- ``jensen`` (static/live/jensen.js): λ, x₁, x₂ (two-point X) or σ (log-normal X) move the curve's
  chord, f(E[X]), E[f(X)] and the gap of part 1; closed forms in static/live/jensen_math.js,
  held equal to vae_core.jensen.
- ``ledger`` (static/live/ledger.js): q's μ and σ move q against the true posterior and the ledger
  of eqs. 1.4.10 and 1.4.12; "Optimize q" plays the gradient-ascent path the server computed once
  (vae_core.toy_model.ascend_elbo). Closed forms in static/live/toy_math.js, held equal to
  vae_core.toy_model.

Each reports to Python once per gesture (release, key rest, pause or end of the animation).
"""

from __future__ import annotations

from ui.figures_elbo import RECON_PINK
from ui.i18n import t
from ui.live import register, state_view
from vae_core.toy_model import AscentPath, Toy

JENSEN_NAMES = ("lam", "x1", "x2", "lnsigma")
LEDGER_NAMES = ("qmu", "qsigma", "step")
_JENSEN = register("jensen")
_LEDGER = register("ledger")


def _live(*keys: str, **fields: str) -> dict[str, str]:
    return {key: t(f"live_elbo.{key}", **fields) for key in keys}


def jensen_view(state, f: str, dist: str) -> dict:
    """Mount the live Jensen view for function ``f`` and distribution ``dist`` → the settled
    {lam, x1, x2, lnsigma} (all four stay in the URL; ``dist`` says which ones the view shows)."""
    text = {name: t(f"elbo.{name}") for name in JENSEN_NAMES}
    text |= {f"{name}_aria": t(f"live_elbo.{name}_aria") for name in JENSEN_NAMES}
    text |= {
        "curve": t(f"elbo.f_{f}"),
        "chord": t("elbo.chord"),
        "dist_of_x": t("elbo.dist_of_x"),
        "gap": t("elbo.gap_segment", gap="{gap}"),
        "prob_axis": t("elbo.prob_axis"),
    }
    text |= _live("jensen_chart_aria", "relation_convex", "relation_concave")
    return state_view(_JENSEN, state, JENSEN_NAMES, {"f": f, "dist": dist, "text": text}, key="live_jensen")


def ledger_view(state, toy: Toy, path: AscentPath, method: str, lr: float) -> dict:
    """Mount the live ledger for the model ``toy`` (x, w, noise; q from the state) with the
    gradient-ascent ``path`` from q (sent once per rerun: 2 × (steps + 1) numbers) → the settled
    {qmu, qsigma, step}."""
    text = {
        name: t(f"elbo.{name}")
        for name in ("q_header", "qmu", "qsigma", "bar_ledger", "bar_terms", "nats_axis", "start")
    }
    text |= {
        "slice": t("elbo.slice", p="{p}"),
        "opt_header": t("live_elbo.opt_header", method=t(f"elbo.opt_{method}"), lr=f"{lr:g}"),
    }
    text |= _live(
        "qmu_aria",
        "qsigma_aria",
        "ledger_chart_aria",
        "fig_ledger",
        "fig_densities",
        "play",
        "pause",
        "step_once",
        "reset",
        "speed",
        "play_aria",
        "pause_aria",
        "step_aria",
        "reset_aria",
        "speed_aria",
        "reduced_motion",
    )
    text["step_of"] = t("live_elbo.step_of", k="{k}", n="{n}")
    data = {
        "model": {"x": toy.x, "w": toy.w, "noise": toy.noise},
        "recon_colour": RECON_PINK,
        "path": {"m": path.m.tolist(), "s": path.s.tolist()},
        "text": text,
    }
    return state_view(_LEDGER, state, LEDGER_NAMES, data, key="live_ledger")
