"""Every plotly figure of every page is a valid plotly spec.

The pages build figures with :func:`ui.plots.figure`, which skips plotly's per-property validation
for speed; this test validates what the pages actually send, at the defaults and at corners that
change a figure's shape (another target, one run, the extremes of the sliders)."""

import json

import plotly.graph_objects as go
import pytest

from tests.apptest import assert_clean, open_page, rendered
from ui.registry import built_pages

# pages whose plotly charts appear only once something runs (tests/test_page_training.py validates them)
CHARTS_ON_DEMAND = {"views/training.py"}
# pages whose every chart is drawn by the live layer (ui/live/chart.py specs; tests/test_live_charts.py)
NO_PLOTLY = {"views/reparameterization.py", "views/gaussian_kl.py", "views/monte_carlo.py", "views/diffusion.py"}
CASES = [(page.file, {}) for page in built_pages()] + [
    ("views/elbo.py", {"dist": "lognormal", "f": "square", "lnsigma": "1.5", "step": "100", "L": "10"}),
    ("views/gaussian_kl.py", {"mu1": "5", "sigma1": "0.1", "mu2": "-5", "sigma2": "5", "land": "qp"}),
    ("views/monte_carlo.py", {"target": "tail", "L": "10", "runs": "1", "Lhist": "1"}),
    ("views/monte_carlo.py", {"target": "exp", "L": "100000", "runs": "50", "Lhist": "1000"}),
    ("views/reparameterization.py", {"f": "cos", "k": "8", "baseline": "0"}),
    ("views/reparameterization.py", {"f": "gauss", "k": "10", "mu": "-3", "sigma": "0.1"}),
    ("views/latent.py", {"idx": "0", "L": "1", "k": "1"}),
]


def _id(value) -> str:
    return value.removeprefix("views/").removesuffix(".py") if isinstance(value, str) else ",".join(value) or "defaults"


@pytest.mark.parametrize(("file", "params"), CASES, ids=_id)
def test_every_plotly_figure_is_valid(file, params):
    at = open_page(file, "en", **params) if params else rendered(file, "en")
    assert_clean(at)
    charts = at.get("plotly_chart")
    assert charts or file in CHARTS_ON_DEMAND | NO_PLOTLY, f"{file} drew no plotly chart"
    assert not (charts and file in NO_PLOTLY), f"{file} draws a plotly chart again"
    for chart in charts:
        go.Figure(json.loads(chart.proto.spec))  # raises ValueError on any invalid property
