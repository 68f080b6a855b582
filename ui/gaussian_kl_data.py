"""The KL page's URL parameters (:data:`STATE`; the lesson shows the same live view on a subset of
them). views/gaussian_kl.py lays the page out; the math is in vae_core/gaussian.py."""

from __future__ import annotations

from ui.state import ChoiceParam, FloatParam, IntParam, UrlState

MU_RANGE = {"lo": -5.0, "hi": 5.0, "step": 0.01}
SIGMA_RANGE = {"lo": 0.1, "hi": 5.0, "step": 0.01}
STATE = UrlState(
    "gaussian_kl",
    FloatParam("mu1", 0.0, **MU_RANGE),
    FloatParam("sigma1", 1.0, **SIGMA_RANGE),
    FloatParam("mu2", 1.0, **MU_RANGE),
    FloatParam("sigma2", 1.5, **SIGMA_RANGE),
    ChoiceParam("land", "pq", ("pq", "qp")),
    ChoiceParam("n", 1000, (100, 1_000, 10_000, 100_000)),
    IntParam("seed", 0, 0, 2**31 - 1),
)
