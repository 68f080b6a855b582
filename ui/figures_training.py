"""Figures of the live training on /training (views/training.py): the latent map, the manifold
mosaic, the curves of eq. 1.4.12's terms per epoch and KL per latent dimension. Pure builders:
numbers in, figure or PNG out; the page rebuilds them only when the job moved (ui.training_data)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from ui.components import GAP_RED, P_BLUE, POSTERIOR_GREEN, PRIOR_GREY
from ui.figures_latent import DIGIT_COLOURS, Z_LIM
from ui.plots import figure

SIDE, GAP = 28, 2
GAP_GREY = 89  # 0.35 × 255: the latent page's mosaic background


def manifold_png(manifold: np.ndarray, zoom: int = 2) -> bytes:
    """uint8 (n, n, 784) decoded pixel means → a PNG mosaic, white ink on black as MNIST, each
    pixel repeated zoom × zoom times (nearest neighbour: browsers blur small images they enlarge)."""
    n = manifold.shape[0]
    step = SIDE + GAP
    tiles = np.full((n * step - GAP, n * step - GAP), GAP_GREY, dtype=np.uint8)
    for r in range(n):
        for c in range(n):
            tiles[r * step : r * step + SIDE, c * step : c * step + SIDE] = manifold[r, c].reshape(SIDE, SIDE)
    tiles = np.kron(tiles, np.ones((zoom, zoom), dtype=np.uint8))
    buffer = io.BytesIO()
    Image.fromarray(tiles).save(buffer, format="PNG")
    return buffer.getvalue()


def map_figure(mu: np.ndarray, labels: np.ndarray, title: str, height: int = 420):
    """The holdout digits' encoder means, coloured by class, with the prior's 1σ and 2σ circles.
    The axes hold at least ±4 and grow with the codes (at β = 0 they leave the prior)."""
    lim = max(Z_LIM, float(np.ceil(np.abs(mu).max() * 1.05))) if len(mu) else Z_LIM
    angle = np.linspace(0, 2 * np.pi, 73)
    circles = np.concatenate(
        [np.c_[np.cos(angle), np.sin(angle)], [[np.nan, np.nan]], 2 * np.c_[np.cos(angle), np.sin(angle)]]
    )
    data = [
        {
            "type": "scatter",
            "x": circles[:, 0],
            "y": circles[:, 1],
            "mode": "lines",
            "hoverinfo": "skip",
            "line": {"color": PRIOR_GREY, "dash": "dash", "width": 1.5},
            "showlegend": False,
        }
    ]
    for digit in range(10):
        pts = mu[labels == digit]
        data.append(
            {
                "type": "scattergl",
                "x": pts[:, 0],
                "y": pts[:, 1],
                "mode": "markers",
                "name": str(digit),
                "marker": {"color": DIGIT_COLOURS[digit], "size": 5, "opacity": 0.8},
            }
        )
    axis = {"range": [-lim, lim], "zeroline": False, "showgrid": True, "constrain": "domain"}
    return figure(
        data,
        height,
        legend_top=False,
        margin={"l": 45, "r": 10, "t": 30, "b": 40},
        title={"text": title, "x": 0.5, "font": {"size": 14}},
        xaxis={**axis, "title": {"text": "z₁"}},
        yaxis={**axis, "title": {"text": "z₂"}, "scaleanchor": "x", "scaleratio": 1},
        legend={"orientation": "v", "x": 1.02, "y": 1, "itemsizing": "constant"},
    )


def curves_figure(curves: list[dict], labels: dict[str, str], height: int = 330):
    """Eq. 1.4.12's terms on the holdout (solid) and the train-eval subset (dotted) per epoch:
    ELBO and reconstruction (nats, top), KL(q ‖ p(z)) (bottom)."""
    epochs = [row["epoch"] for row in curves]
    data = []
    for name, colour, axis in (("elbo", P_BLUE, "y"), ("recon", POSTERIOR_GREEN, "y"), ("kl", GAP_RED, "y2")):
        for split, dash in (("holdout", "solid"), ("train", "dot")):
            values = [row[f"{split}_{name}"] for row in curves]
            data.append(
                {
                    "type": "scatter",
                    "x": epochs,
                    "y": values,
                    "yaxis": axis,
                    "mode": "lines+markers",
                    "name": f"{labels[name]} ({labels[split]})",
                    "marker": {"size": 4},
                    "line": {"color": colour, "dash": dash, "width": 2},
                }
            )
    later = [row[f"{s}_{k}"] for row in curves[1:] for s in ("holdout", "train") for k in ("elbo", "recon")]
    yaxis = {"domain": [0.45, 1], "title": {"text": labels["nats"]}}
    if later:  # epoch 0 (an untrained decoder: ≈ −545 nats) would flatten everything after it
        lo, hi = min(later), max(later)
        pad = 0.08 * max(hi - lo, 1.0)
        yaxis["range"] = [lo - pad, hi + pad]
    return figure(
        data,
        height,
        legend_top=False,
        margin={"l": 60, "r": 10, "t": 10, "b": 40},
        xaxis={"title": {"text": labels["epoch"]}, "anchor": "y2", "rangemode": "tozero"},
        yaxis=yaxis,
        yaxis2={"domain": [0, 0.36], "title": {"text": "KL"}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.22, "x": 0},
        hovermode="x unified",
    )


def kl_bars_figure(kl_per_dim: list[float], title: str, height: int = 260):
    """KL(q ‖ p(z)) split by latent dimension, nats: a bar near 0 is a dimension switched off."""
    names = [f"z{chr(0x2081 + j)}" for j in range(len(kl_per_dim))]
    data = [
        {
            "type": "bar",
            "x": names,
            "y": kl_per_dim,
            "marker": {"color": GAP_RED},
            "text": [f"{v:.3f}" for v in kl_per_dim],
            "textposition": "outside",
            "cliponaxis": False,
        }
    ]
    top = max(1.0, max(kl_per_dim) * 1.25)
    return figure(
        data,
        height,
        legend_top=False,
        margin={"l": 45, "r": 10, "t": 30, "b": 30},
        title={"text": title, "x": 0.5, "font": {"size": 14}},
        yaxis={"range": [0, top], "title": {"text": "KL"}},
        showlegend=False,
    )
