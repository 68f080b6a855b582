"""The KL landscape's live view computes the plotly heatmap's numbers and colours (issue 24).

The browser module static/live/landscape_math.js is run in node and held to the Python grid
(ui.figures_gaussian_kl.landscape_grid, from vae_core.gaussian.kl_normal) and to plotly.py's own colour-scale
interpolation, the independent oracle for what the plotly heatmap coloured each cell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import plotly.colors
import pytest

from ui.figures_gaussian_kl import COLORSCALE, KL_LOG_RANGE, landscape_data, landscape_grid
from vae_core.gaussian import kl_normal

ROOT = Path(__file__).resolve().parents[1]


def run_node(script: str):
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("node is not installed: the JS checks cannot run under CI", pytrace=False)
        pytest.skip("node is not installed")
    out = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("direction", ["pq", "qp"])
@pytest.mark.parametrize("p", [(0.0, 1.0), (-3.2, 0.15), (4.5, 4.0)])
def test_browser_grid_equals_python(direction, p):
    grid = landscape_data(direction)["grid"]
    got = run_node(
        "import { landscape } from './static/live/landscape_math.js';"
        f"const z = landscape({p[0]}, {p[1]}, '{direction}', {json.dumps(grid)});"
        "console.log(JSON.stringify(Array.from(z)));"
    )
    want = landscape_grid(*p, direction)
    assert np.allclose(np.array(got).reshape(want.shape), want, rtol=1e-9, atol=1e-12)
    # a cell against the KL itself (an oracle apart from landscape_grid)
    i, j = 40, 10
    mu2, s2 = grid["x0"] + j * grid["dx"], 10 ** (grid["y0"] + i * grid["dy"])
    kl = kl_normal(*p, mu2, s2) if direction == "pq" else kl_normal(mu2, s2, *p)
    assert got[i * grid["nx"] + j] == pytest.approx(np.log10(max(kl, grid["floor"])), rel=1e-12)


def test_browser_colours_equal_plotlys_interpolation():
    lo, hi = KL_LOG_RANGE
    zs = np.linspace(lo - 1, hi + 1, 37)
    got = run_node(
        "import { colourAt } from './static/live/landscape_math.js';"
        f"const s = {json.dumps(COLORSCALE)};"
        f"console.log(JSON.stringify({json.dumps(zs.tolist())}.map((z) => colourAt(s, z, {lo}, {hi}))));"
    )
    for z, rgb in zip(zs, got, strict=True):
        t = min(1.0, max(0.0, (z - lo) / (hi - lo)))
        want = plotly.colors.unlabel_rgb(plotly.colors.sample_colorscale(COLORSCALE, [t], colortype="rgb")[0])
        assert np.allclose(rgb, want, atol=0.51), (z, rgb, want)  # plotly.py rounds to whole units
