"""The linear-Gaussian toy model's URL parameters, shared by the ELBO and Monte Carlo pages.

Both pages show the same model (``vae_core.toy_model.Toy``): same public URL names (q's mean
and sd are ``qmu`` and ``qsigma``), defaults and ranges, so a link's numbers mean the same on both.
"""

from __future__ import annotations

from ui.state import FloatParam
from vae_core.toy_model import Toy

DEFAULT = Toy()
TOY_NAMES = ("x", "w", "noise", "qmu", "qsigma")  # in Toy's field order: x, w, noise, m, s
TOY_PARAMS = (
    FloatParam("x", DEFAULT.x, -4.0, 4.0, 0.01),
    FloatParam("w", DEFAULT.w, -3.0, 3.0, 0.01),
    FloatParam("noise", DEFAULT.noise, 0.1, 3.0, 0.01),
    FloatParam("qmu", DEFAULT.m, -4.0, 4.0, 0.01),
    FloatParam("qsigma", DEFAULT.s, 0.1, 3.0, 0.01),
)
