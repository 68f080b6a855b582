// Live view of the reparameterization page (section 1.4.2.2): μ and σ sliders move the same fixed
// noise draws ε along z = μ + σε every frame. Below the map, f(z) with each sample's pathwise
// gradient f′(z_l) as an arrow and, beside it, the score-function view: every sample's ∂/∂μ term
// for RP, SF (and SF+b), their means and the exact gradient. The readouts are the page's metrics
// (exact gradient, exact variance ratios), from the closed forms in gradients.js. On release μ and
// σ go to Python once (one rerun: URL, spread chart, tables, check). ui/live/reparam.py sends the
// data; tests/browser/test_live_reparam.py holds gradients.js equal to vae_core.gradients.

import { Plot } from "./plot.js";
import { MINUS, fmt, niceCeil } from "./format.js";
import { rgba } from "./theme.js";
import { mountOnce } from "./mount.js";
import { Readout, el } from "./controls.js";
import { HeldRange, SliderView } from "./slider_view.js";
import { PRESENT_CLASS } from "./presenter.js";
import {
  exactGradient, fDerivative, fValue, pathwiseTerms, perSampleVariances, ratioText, sampleEstimates,
  scoreTerms, varianceRatio,
} from "./gradients.js";

const NAMES = ["mu", "sigma"];
const ROWS = ["pathwise", "score", "baseline"];
const SHORT = { pathwise: "RP", score: "SF", baseline: "SF+b" };
// plotly's "RdBu" colour scale (the server chart colours each sample by ε on [−2.5, 2.5] with it)
const RDBU = [[0, [5, 10, 172]], [0.35, [106, 137, 247]], [0.5, [190, 190, 190]], [0.6, [220, 170, 132]],
  [0.7, [230, 145, 90]], [1, [178, 10, 28]]];

function rdbu(value, lo = -2.5, hi = 2.5) {
  const u = Math.min(1, Math.max(0, (value - lo) / (hi - lo)));
  let i = 1;
  while (i < RDBU.length - 1 && RDBU[i][0] < u) i++;
  const [u0, c0] = RDBU[i - 1], [u1, c1] = RDBU[i];
  const s = (u - u0) / (u1 - u0);
  return `rgb(${c0.map((c, j) => Math.round(c + s * (c1[j] - c))).join(",")})`;
}

// μ and σ side by side above the readouts, as wide as the column (was inline style). Presenter mode
// (a projector, 18 px chart text): the two sliders stacked at the left and the four readouts beside
// them, and no hint line (the page's caption under the view says the same), so the canvas starts
// ~125 px below the view's top instead of ~240 and the figure keeps most of its natural height.
const STYLE = `.reparam-controls { max-width: none; display: grid; gap: 0.35rem 2rem; margin-bottom: 1.5rem;
  grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); }
.reparam-note { grid-column: 1 / -1; }
:host-context(.${PRESENT_CLASS}) .reparam-head { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.5rem 2rem; }
:host-context(.${PRESENT_CLASS}) .reparam-controls { flex: 0 1 320px; grid-template-columns: 1fr; margin-bottom: 0; }
:host-context(.${PRESENT_CLASS}) .reparam-head .live-readouts { flex: 1 1 480px; column-gap: 1.5rem; }
:host-context(.${PRESENT_CLASS}) .reparam-note { display: none; }`;

function sub(n) { return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]); }

class ReparamView extends SliderView {
  constructor(root) {
    super();
    this.fRange = new HeldRange();
    this.termRange = new HeldRange();
    this.arrowScale = null;
    el(root, "style", "", STYLE);
    const wrap = el(root, "div", "live-root");
    // One full-width column: the controls and the readouts above the canvas (the figure needs the
    // column's whole width). They sit in the figure, so presenter mode can put them in one row.
    const figure = el(wrap, "div", "live-figure");
    figure.style.flexBasis = "100%";
    const head = el(figure, "div", "reparam-head");
    this.controls = el(head, "div", "live-controls reparam-controls");
    const readouts = el(head, "div", "live-readouts");
    this.readouts = {
      mu: new Readout(readouts, "∂E_q[f]/∂μ"), sigma: new Readout(readouts, "∂E_q[f]/∂σ"),
      ratioMu: new Readout(readouts, "Var SF / Var RP (μ)"), ratioSigma: new Readout(readouts, "Var SF / Var RP (σ)"),
    };
    // fit: in presenter mode the map and the two panels below it shrink to keep the view on one
    // screen (render); minHeight is set there, from the layout's natural height
    this.plot = new Plot(figure, { height: 620, fit: true, minHeight: 460, name: "reparam", render: (g) => this.render(g) });
  }

  build(data) {
    for (const name of NAMES) this.addSlider(this.controls, data, name, { label: data.text[name], color: data.palette.q });
    this.note = el(this.controls, "div", "live-note reparam-note");
  }

  incoming(data) { return { mu: data.values.mu, sigma: data.values.sigma }; }

  update(data) {
    super.update(data);
    for (const name of NAMES) this.sliders[name].setLabel(data.text[name]);
    this.note.textContent = data.text.controls_note;
    this.refit = true; // a rerun may change f, k or the seed: fit the axes again
    this.plot.setLabel(data.text.chart_aria);
  }

  /** Everything the frame shows, from the closed forms and the fixed ε. */
  numbers() {
    const { mu, sigma } = this.values;
    const { f: kind, k, eps } = this.data;
    const [dMu, dSigma] = exactGradient(kind, mu, sigma, k);
    const v = perSampleVariances(kind, mu, sigma, k);
    const est = sampleEstimates(kind, mu, sigma, k, eps);
    const fz = eps.map((e) => fValue(kind, mu + sigma * e, k));
    const loo = fz.map((f, i) => (fz.reduce((a, b) => a + b, 0) - f) / (eps.length - 1));
    const terms = {
      pathwise: eps.map((e) => pathwiseTerms(kind, mu, sigma, k, e)[0]),
      score: eps.map((e) => scoreTerms(kind, mu, sigma, k, e)[0]),
      baseline: eps.map((e, i) => scoreTerms(kind, mu, sigma, k, e, loo[i])[0]),
    };
    return { dMu, dSigma, v, est, fz, terms, z: eps.map((e) => mu + sigma * e) };
  }

  render(g) {
    const { mu, sigma } = this.values;
    const { text, palette, colours, eps, f: kind, k, axis } = this.data;
    const grow = this.takeRefit();
    const n = this.numbers();
    this.readouts.mu.set(fmt(n.dMu));
    this.readouts.sigma.set(fmt(n.dSigma));
    this.readouts.ratioMu.set(ratioText(varianceRatio(n.v.score_mu, n.v.pathwise_mu)));
    this.readouts.ratioSigma.set(ratioText(varianceRatio(n.v.score_sigma, n.v.pathwise_sigma)));

    const wide = g.width >= 720;
    const left = 12, right = 12;
    const first = g.theme.dark ? "#f0f0f0" : "#000000";
    const mapLegend = [{ label: "N(0, 1)", color: palette.prior, kind: "fill", alpha: 0.35 },
      { label: `q = N(${fmt(mu, 2)}, ${fmt(sigma, 2)}²)`, color: palette.q },
      { label: text.first, color: first, kind: "marker" }];
    const mapTop = g.legendHeight(mapLegend, left) + 4; // the legend may wrap on a phone
    const natural = (wide ? 640 : 900) + mapTop - 22;
    // Presenter mode (Plot fit) may draw shorter than natural: the map gives up part of the
    // shortfall and the panels the rest (at most 180 px: map ≥ 140 px, each panel ≥ ~120 px).
    // Outside presenter mode g.height is the natural height and nothing moves.
    this.plot.setMinHeight(natural - 180);
    this.plot.setHeight(natural);
    const short = Math.min(180, Math.max(0, natural - g.height));
    const mapH = Math.round((wide ? 230 : 220) - (wide ? 0.5 : 0.3) * short);
    g.legend(mapLegend, left, 0);
    const map = g.panel({ left, top: mapTop, width: g.width - left - right, height: mapH }, [-axis, axis], [-0.6, 1.55]);
    this.drawMap(map, n, g, first);

    const rows = ROWS.filter((r) => r !== "baseline" || this.data.baseline);
    const legend = [
      { label: text.exact, color: g.theme.text, kind: "dash" },
      { label: text.mean, color: g.theme.text, width: 4 },
      ...rows.map((r) => ({ label: text[`est_${r}`], color: colours[r], kind: "marker" })),
    ];
    const legendH = g.legendHeight(legend, left) + 4;
    const top2 = mapTop + mapH + 62;
    const bottom = g.height - legendH - 8;
    let fRect, tRect;
    if (wide) {
      const w = (g.width - 56 - 118 - right - 40) / 2;
      fRect = { left: 56, top: top2, width: w, height: bottom - top2 - 44 };
      tRect = { left: 56 + w + 40 + 62, top: top2, width: g.width - (56 + w + 40 + 62) - right, height: fRect.height };
    } else {
      const h = (bottom - top2 - 44 - 62 - 44) / 2;
      fRect = { left: 56, top: top2, width: g.width - 56 - right, height: h };
      tRect = { left: 56, top: top2 + h + 44 + 62, width: g.width - 56 - right, height: h };
    }
    this.drawSlopes(g, fRect, n, grow);
    this.drawTerms(g, tRect, n, rows, grow);
    g.legend(legend, left, g.height - legendH);
    return `${fmt(n.dMu)}|${fmt(n.dSigma)}|${mu}|${sigma}|${kind}|${k}`;
  }

  /** ε on the top axis, z = μ + σε on the bottom one, one line per sample. */
  drawMap(p, n, g, first) {
    const { mu, sigma } = this.values;
    const { palette, eps, axis } = this.data;
    const th = g.theme;
    const ticks = [];
    const every = p.width < 500 ? 2 : 1; // a phone's axis: every other integer
    for (let v = -axis + ((axis % every) ? 1 : 0); v <= axis; v += every) ticks.push([v, String(v).replace("-", MINUS)]);
    p.axes({ xticks: ticks, yticks: false, ygrid: false, xgrid: true });
    p.hline(1, { color: th.axis, width: 1 });
    p.hline(0, { color: th.axis, width: 1 });
    const grid = Array.from({ length: 281 }, (_, i) => -axis + (2 * axis * i) / 280);
    p.clip();
    p.fill(grid, grid.map((x) => 1 + 0.35 * Math.exp(-0.5 * x * x)), { color: palette.prior, alpha: 0.22, base: 1 });
    p.line(grid, grid.map((x) => 1 + 0.35 * Math.exp(-0.5 * x * x)), { color: palette.prior, width: 1 });
    const peak = 0.35 * Math.min(1 / sigma, 1.6);
    p.line(grid, grid.map((x) => -peak * Math.exp(-0.5 * ((x - mu) / sigma) ** 2)), { color: palette.q, width: 2 });
    for (let i = 0; i < eps.length; i++) p.segment(eps[i], 1, n.z[i], 0, { color: "rgba(120,120,120,0.45)", width: 1 });
    for (let i = 0; i < eps.length; i++) {
      p.points([eps[i], n.z[i]], [1, 0], { color: rdbu(eps[i]), r: 4.5, stroke: "rgba(51,51,51,0.8)" });
    }
    p.segment(eps[0], 1, n.z[0], 0, { color: first, width: 2.5 });
    p.points([eps[0], n.z[0]], [1, 0], { color: first, r: 6.5 });
    p.unclip();
    const bg = th.dark ? "rgba(14,17,23,0.85)" : "rgba(255,255,255,0.85)";
    const clampX = (x) => Math.min(axis - 0.8, Math.max(-axis + 0.8, x));
    g.text(`ε${sub(1)} = ${fmt(eps[0], 2)}`, p.px(clampX(eps[0])), p.py(1) - 14, { align: "center", baseline: "bottom", bg });
    g.text(`z${sub(1)} = ${fmt(n.z[0], 2)}`, p.px(clampX(n.z[0])), p.py(0) + 14, { align: "center", baseline: "top", bg });
    g.text("ε", p.left + 4, p.py(1) - 14, { weight: "bold", baseline: "bottom" });
    g.text("z = μ + σε", p.left + 4, p.py(0) - 8, { weight: "bold", baseline: "bottom" });
  }

  /** f(z) with each sample on it and its pathwise term f′(z_l) as a horizontal arrow. */
  drawSlopes(g, rect, n, grow) {
    const { text, colours, f: kind, k, axis } = this.data;
    const grid = Array.from({ length: 401 }, (_, i) => -axis + (2 * axis * i) / 400);
    const fg = grid.map((z) => fValue(kind, z, k));
    const inView = n.z.filter((z) => Math.abs(z) <= axis).map((z) => fValue(kind, z, k));
    const lo = Math.min(...fg), hi = Math.max(...inView, lo + 1e-9);
    const span = hi - lo || 1;
    this.fRange.fit(lo - 0.08 * span, lo + niceCeil((hi - lo) * 1.15), { grow });
    const p = g.panel(rect, [-axis, axis], [this.fRange.lo, this.fRange.hi]);
    p.axes({ title: text.slopes_title, xlabel: "z" });
    const maxSlope = Math.max(...n.terms.pathwise.map(Math.abs), 1e-12);
    const scale = 1.6 / maxSlope; // z units per unit of f′: the largest arrow is 1.6 wide
    this.arrowScale = grow && this.arrowScale ? Math.min(this.arrowScale, scale) : scale;
    p.clip();
    p.line(grid, fg, { color: g.theme.muted, width: 2 });
    const colour = colours.pathwise;
    for (let i = 0; i < n.z.length; i++) {
      const z = n.z[i], y = n.fz[i], s = n.terms.pathwise[i];
      p.arrow(z, y, z + this.arrowScale * s, y, { color: rgba(colour, 0.85), width: 2, head: 7 });
    }
    p.points(n.z, n.fz, { color: colour, r: 3.5 });
    p.unclip();
  }

  /** The score-function view: each sample's ∂/∂μ term per estimator on one axis, means and the exact value. */
  drawTerms(g, rect, n, rows, grow) {
    const { text, colours } = this.data;
    const all = rows.flatMap((r) => n.terms[r]).concat([n.dMu]);
    const lo = Math.min(...all), hi = Math.max(...all);
    const pad = 0.06 * (hi - lo || 1);
    this.termRange.fit(lo - pad, hi + pad, { grow });
    const p = g.panel(rect, [this.termRange.lo, this.termRange.hi], [rows.length - 0.5, -0.5]);
    p.axes({ title: text.terms_title, xlabel: text.terms_axis, yticks: rows.map((r, i) => [i, SHORT[r]]), ygrid: false, xgrid: true });
    // Presenter mode: the "mean …" label at the top of each row is 18 px tall and the rows may be
    // short (fitted height): move the row's dots and mean bar down, within the row, until they clear
    // the label (in row units). At 14 px this stays 0, so the normal view is as before.
    const rowPx = Math.abs(p.py(1) - p.py(0));
    const labelBottom = 3 + 1.25 * g.fontSize + 2, dotsTop = (0.5 - 0.16) * rowPx - 4;
    const drop = g.fontSize > 14 ? Math.min(Math.max(0, labelBottom - dotsTop), 0.34 * rowPx - 6) / rowPx : 0;
    p.clip();
    rows.forEach((r, i) => {
      const xs = n.terms[r];
      const ys = xs.map((_, j) => i + drop + 0.32 * (((j * 7) % 11) / 10 - 0.5)); // fixed jitter: sample j keeps its place
      p.points(xs, ys, { color: colours[r], r: 4, alpha: 0.7 });
      const mean = n.est[r][0];
      p.segment(mean, i + drop - 0.38, mean, i + drop + 0.38, { color: g.theme.text, width: 4 });
    });
    p.vline(n.dMu, { color: g.theme.text, width: 1.5, dash: [6, 4] });
    p.unclip();
    const bg = g.theme.dark ? "rgba(14,17,23,0.8)" : "rgba(255,255,255,0.8)";
    rows.forEach((r, i) => {
      g.text(`${text.mean_short} ${fmt(n.est[r][0])}`, p.left + 4, p.py(i - 0.5) + 3,
        { align: "left", baseline: "top", color: colours[r], bg });
    });
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new ReparamView(root));
}
