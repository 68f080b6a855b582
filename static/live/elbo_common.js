// Small pieces the ELBO page's two live views (jensen.js, ledger.js) share: the ledger's axis bounds
// (as ui/figures_elbo.py) and the plotly marker shapes the page's server-side figures use.

/** The smallest of 1, 2, 5 × 10ᵏ ≥ value — ui.figures_elbo.nice_bound (axis ends that do not twitch). */
export function niceBound(value) {
  if (value <= 0) return 0.0;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const k of [1, 2, 5, 10]) if (k * power >= value * (1 - 1e-12)) return k * power;
  return 10 * power;
}

/** A nats axis from ≤ min(0, values) to ≥ max(0, values) — ui.figures_elbo.ledger_range. */
export function ledgerRange(...values) {
  const lo = -niceBound(-Math.min(0, ...values));
  const hi = niceBound(Math.max(0, ...values));
  const pad = 0.04 * (hi - lo || 1.0);
  return [lo - pad, hi + pad];
}

/** A plotly-style marker at canvas point (px, py): "circle", "diamond" or "triangle-up". */
export function marker(ctx, px, py, { shape = "circle", size = 12, color, stroke = "#ffffff", lineWidth = 1 } = {}) {
  const r = size / 2;
  ctx.save();
  ctx.beginPath();
  if (shape === "diamond") {
    ctx.moveTo(px, py - r * 1.2); ctx.lineTo(px + r * 1.2, py); ctx.lineTo(px, py + r * 1.2); ctx.lineTo(px - r * 1.2, py);
    ctx.closePath();
  } else if (shape === "triangle-up") {
    ctx.moveTo(px, py - r * 1.15); ctx.lineTo(px + r * 1.1, py + r * 0.75); ctx.lineTo(px - r * 1.1, py + r * 0.75);
    ctx.closePath();
  } else {
    ctx.arc(px, py, r, 0, 2 * Math.PI);
  }
  ctx.fillStyle = color;
  ctx.fill();
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = lineWidth; ctx.stroke(); }
  ctx.restore();
}

/** A translucent panel background for text over lines, in the current theme. */
export function textBg(th) { return th.dark ? "rgba(14,17,23,0.82)" : "rgba(255,255,255,0.85)"; }
