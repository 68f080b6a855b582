// Live view of part 2 of the ELBO page: the ledger log p(x) = ELBO + KL(q‖p(z|x)) (eq. 1.4.10) and
// ELBO = E_q[log p(x|z)] − KL(q‖p(z)) (eq. 1.4.12) on the linear-Gaussian toy model, with q, the
// true posterior, the prior and the slice p(x, z) over z. Dragging μ_q or σ_q moves q and the
// ledger every frame (log p(x) stays put; the ELBO and the KL trade nats); "Optimize q" plays the
// gradient-ascent path the server computed once (data.path, vae_core.toy_model.ascend_elbo), step
// by step. Closed forms in toy_math.js. One report to Python per gesture: slider release, pause,
// the end of the animation, or a rest after step clicks. ui/live/elbo.py sends the data;
// tests/browser/test_live_elbo.py holds toy_math.js equal to vae_core.toy_model.

import { Plot } from "./plot.js";
import { fmt, niceCeil, subscriptParts } from "./format.js";
import { mountOnce } from "./mount.js";
import { Readout, button, el } from "./controls.js";
import { Player, reducedMotion } from "./player.js";
import { HeldRange, SliderView } from "./slider_view.js";
import { logJoint, ledger, posterior } from "./toy_math.js";
import { normalPdf } from "./math.js";
import { ledgerRange, marker, textBg } from "./elbo_common.js";

const Q_NAMES = ["qmu", "qsigma"];

/** ``label`` in ``node`` with every "_x" drawn as a subscript (μ_q → μ<sub>q</sub>): no bare "_". */
function setSubscripted(node, label) {
  node.replaceChildren(...subscriptParts(label).map(([text, isSub]) => {
    if (!isSub) return document.createTextNode(text);
    const sub = document.createElement("sub");
    sub.textContent = text;
    return sub;
  }));
}
const STEPS_PER_SECOND = 10; // at 1×: the default path (100 steps) plays in 10 s, 2.5 s at 4×
const SPEEDS = [0.5, 1, 2, 4];
const REST_MS = 400; // step clicks that follow each other within this are one gesture
// The optimizer's buttons fit the controls column: tighter than live.css's default buttons.
const STYLE = `.ledger-buttons .live-button { padding: 0.2rem 0.55rem; }
.ledger-buttons { align-items: center; gap: 0.35rem; }`;

/** z grid as ui.figures_elbo.z_grid: 160 points across, 70 across each density's ±4 sd. */
function zGrid(lo, hi, peaks) {
  const pts = [];
  for (let i = 0; i < 160; i++) pts.push(lo + ((hi - lo) * i) / 159);
  for (const [m, s] of peaks) for (let i = 0; i < 70; i++) pts.push(m - 4 * s + (8 * s * i) / 69);
  return Float64Array.from(pts.filter((z) => z >= lo && z <= hi)).sort();
}

/** A panel's title as Panel.axes draws it (centred over the panel, muted), but kept inside the
 * canvas: in a narrow column at 18 px (presenter mode, browser zoom) it may be wider than its panel;
 * it then slides left, and only a title wider than the whole canvas gets a smaller font. */
function panelTitle(g, p, str) {
  g.ctx.font = g.font();
  const w = g.ctx.measureText(str).width;
  const size = w > g.width - 8 ? Math.floor((g.fontSize * (g.width - 8)) / w) : g.fontSize;
  const half = (w * size) / g.fontSize / 2;
  const x = Math.min(Math.max(p.left + p.width / 2, half + 4), g.width - half - 4);
  g.text(str, x, p.top - 8, { color: g.theme.muted, align: "center", size });
}

class LedgerView extends SliderView {
  constructor(root) {
    super();
    this.speed = 1;
    this.k = 0;
    this.x = new HeldRange();
    this.z = new HeldRange();
    this.yDens = new HeldRange();
    el(root, "style", "", STYLE);
    const wrap = el(root, "div", "live-root");
    this.controls = el(wrap, "div", "live-controls");
    const figure = el(wrap, "div", "live-figure");
    const readouts = el(figure, "div", "live-readouts");
    this.readouts = { lp: new Readout(readouts, "log p(x)"), elbo: new Readout(readouts, "ELBO"),
      kl: new Readout(readouts, "KL(q‖p(z|x))") };
    // fit: the layout is proportional to the height, so presenter mode may draw it shorter to keep
    // the view on one screen (the ledger's rows keep a minimum height, render; the densities below
    // take what is left, at least ~140 px at 520)
    this.plot = new Plot(figure, { height: 560, fit: true, minHeight: 520, name: "ledger", render: (g) => this.render(g) });
    this.player = new Player({
      frame: (now) => this.tick(now),
      end: () => this.send(),
      paused: () => this.send(),
      settle: () => { this.k = this.lastStep(); this.plot.invalidate(); this.send(); }, // the settled picture
      changed: () => this.showPlay(),
    });
  }

  build(data) {
    const { text, palette } = data;
    this.qHeader = el(this.controls, "div", "live-group");
    setSubscripted(this.qHeader, text.q_header);
    this.qHeader.style.color = `color-mix(in srgb, ${palette.q} 65%, black)`; // text: ≥ 4.5:1 contrast (as kl.js)
    for (const name of Q_NAMES) this.addSlider(this.controls, data, name, { label: text[name], aria: text[`${name}_aria`], color: palette.q });
    this.optHeader = el(this.controls, "div", "live-group");
    const row = el(this.controls, "div", "live-buttons ledger-buttons");
    this.playButton = button(row, "", () => this.play(), { className: "live-play" });
    this.stepButton = button(row, "", () => this.stepOnce());
    this.resetButton = button(row, "", () => this.reset());
    const speedRow = el(this.controls, "div", "live-buttons ledger-buttons");
    speedRow.setAttribute("role", "group");
    this.speedLabel = el(speedRow, "span", "live-note");
    this.speedButtons = SPEEDS.map((s) => button(speedRow, `${s}×`, () => this.setSpeed(s)));
    this.stepNote = el(this.controls, "div", "live-note");
    this.stepNote.setAttribute("aria-live", "polite");
    this.motionNote = el(this.controls, "div", "live-note");
  }

  update(data) {
    const before = this.data;
    const pathChanged = !before || before.path.m.length !== data.path.m.length
      || before.path.m.some((m, i) => m !== data.path.m[i] || before.path.s[i] !== data.path.s[i]);
    const modelChanged = !before || ["x", "w", "noise"].some((n) => before.model[n] !== data.model[n]);
    if (pathChanged) this.player.stop();
    const changed = super.update(data, { force: pathChanged });
    if (changed || modelChanged) this.refit = true;
    const { text } = data;
    setSubscripted(this.qHeader, text.q_header);
    for (const name of Q_NAMES) {
      this.sliders[name].setLabel(text[name], text[`${name}_aria`]);
      setSubscripted(this.sliders[name].labelEl, text[name]);
    }
    this.optHeader.textContent = text.opt_header;
    this.stepButton.textContent = text.step_once;
    this.stepButton.setAttribute("aria-label", text.step_aria);
    this.resetButton.textContent = text.reset;
    this.resetButton.setAttribute("aria-label", text.reset_aria);
    this.speedLabel.textContent = text.speed;
    this.speedButtons.forEach((b, i) => b.setAttribute("aria-label", text.speed_aria.replace("{speed}", SPEEDS[i])));
    this.motionNote.textContent = reducedMotion() ? text.reduced_motion : "";
    this.motionNote.hidden = !reducedMotion();
    this.showSpeed();
    this.showPlay();
    this.plot.setLabel(text.ledger_chart_aria);
  }

  busy() { return this.player.playing; }

  adopt(values) {
    super.adopt(values);
    this.k = Math.min(values.step, this.lastStep());
  }

  moved() { this.player.stop(); this.k = 0; }

  lastStep() { return this.data.path.m.length - 1; }

  /** One report per gesture: q's values and the step shown (part 3 of the page follows it). */
  reported() { return { qmu: this.values.qmu, qsigma: this.values.qsigma, step: this.k }; }

  release() { clearTimeout(this.timer); super.release(); }

  send() {
    clearTimeout(this.timer);
    this.report(this.reported());
  }

  /** The play button: pause (and report) while playing, else play the path from k (from 0 at its end). */
  play() {
    clearTimeout(this.timer);
    if (this.player.playing) { this.player.toggle(); return; }
    if (this.k >= this.lastStep()) this.k = 0;
    this.anchor = { k: this.k, t: performance.now() };
    this.player.play();
    this.plot.invalidate();
  }

  stepOnce() {
    this.player.stop();
    this.k = Math.min(this.k + 1, this.lastStep());
    this.plot.invalidate();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), REST_MS);
  }

  reset() { this.player.stop(); this.k = 0; this.refit = true; this.plot.invalidate(); this.send(); }

  setSpeed(s) {
    if (this.player.playing) this.anchor = { k: this.k, t: performance.now() };
    this.speed = s;
    this.showSpeed();
  }

  showSpeed() { this.speedButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(SPEEDS[i] === this.speed))); }

  showPlay() {
    const { text } = this.data;
    const playing = this.player.playing;
    this.playButton.textContent = playing ? text.pause : text.play;
    this.playButton.setAttribute("aria-label", playing ? text.pause_aria : text.play_aria);
  }

  /** Advance the animation to the frame's time (the player calls it once per frame); false at the end. */
  tick(now) {
    const elapsed = Math.max(0, now - this.anchor.t) / 1000;
    this.k = Math.min(this.lastStep(), this.anchor.k + Math.floor(elapsed * STEPS_PER_SECOND * this.speed));
    this.plot.invalidate();
    return this.k < this.lastStep();
  }

  /** q at the shown step: your q (the sliders) at k = 0, the server's path after. */
  q() {
    if (this.k === 0) return [this.values.qmu, this.values.qsigma];
    return [this.data.path.m[this.k], this.data.path.s[this.k]];
  }

  render(g) {
    const { text, palette, model } = this.data;
    const { x, w, noise } = model;
    const th = g.theme;
    const grow = this.takeRefit();
    const [m, s] = this.q();
    const L = ledger(x, w, noise, m, s);
    const [postMean, postSd] = posterior(x, w, noise);
    const optimizing = this.k > 0;
    this.readouts.lp.set(fmt(L.lp));
    this.readouts.elbo.set(fmt(L.elbo));
    this.readouts.kl.set(fmt(L.kl));
    this.readouts.elbo.setLabel(optimizing ? "ELBO(qₖ)" : "ELBO");
    this.readouts.kl.setLabel(optimizing ? "KL(qₖ‖p(z|x))" : "KL(q‖p(z|x))");
    this.stepNote.textContent = text.step_of.replace("{k}", this.k).replace("{n}", this.lastStep());

    // --- layout: the ledger (eqs. 1.4.10, 1.4.12) on top, the densities over z below, legend last
    const qLabel = optimizing ? "qₖ(z)" : "q(z)";
    const legend = [
      { label: text.slice.replace("{p}", fmt(Math.exp(L.lp))), color: palette.p, kind: "fill", alpha: 0.25 },
      { label: "p(z)", color: palette.prior, kind: "dash" },
      { label: "p(z|x)", color: palette.posterior },
      { label: qLabel, color: palette.q },
      ...(optimizing ? [{ label: text.start, color: palette.q, kind: "dash", width: 1.5 }] : []),
    ];
    // left: room for the row labels ("eq. 1.4.10", right-aligned 6 px off the axis, 1 px to spare) also at 18 px
    g.ctx.font = g.font();
    const rowLabelW = Math.max(...[text.bar_ledger, text.bar_terms].map((t) => g.ctx.measureText(t).width));
    const left = Math.max(Math.min(96, Math.max(70, g.width * 0.16)), rowLabelW + 7), right = 14, fs = g.fontSize;
    const legendH = g.legendHeight(legend, 8) + 6;
    const titleH = fs + 12, axisH = 2 * fs + 16;
    const avail = g.height - legendH - 2 * titleH - 2 * axisH;
    // The ledger's rows are 1 unit apart on a 2.5-unit axis, and row 1's label below (ELBO) faces row
    // 0's label above (E_q[log p(x|z)]), each 13 px off its row and one text line tall: keep them apart
    // when a fitted height or a wrapped legend leaves little room (at 14 px text the proportional
    // share is always larger, so the normal view is unchanged).
    const h1 = Math.max(Math.round(avail * 0.48), Math.round(2.5 * (2 * 13 + 2 * fs + 6))), h2 = avail - h1;
    const wPlot = g.width - left - right;
    const top1 = titleH, top2 = top1 + h1 + axisH + titleH;

    const [xlo, xhi] = ledgerRange(L.lp, L.elbo, L.recon);
    this.x.fit(xlo, xhi, { grow });
    const led = g.panel({ left, top: top1, width: wPlot, height: h1 }, this.x.span, [-0.75, 1.75]);
    led.axes({ xlabel: text.nats_axis, ygrid: false,
      yticks: [[1, text.bar_ledger], [0, text.bar_terms]] });
    panelTitle(g, led, text.fig_ledger);
    this.drawLedger(g, led, L);

    const [m0, s0] = [this.values.qmu, this.values.qsigma];
    const peaks = [[0, 1], [postMean, postSd], [m, s], ...(optimizing ? [[m0, s0]] : [])];
    this.z.fit(Math.min(...peaks.map(([a, b]) => a - 4 * b)), Math.max(...peaks.map(([a, b]) => a + 4 * b)), { grow });
    const zs = zGrid(this.z.lo, this.z.hi, peaks);
    const n = zs.length;
    const slice = new Float64Array(n), prior = new Float64Array(n), post = new Float64Array(n);
    const q = new Float64Array(n), q0 = new Float64Array(n);
    let top = 0;
    for (let i = 0; i < n; i++) {
      slice[i] = Math.exp(logJoint(zs[i], x, w, noise));
      prior[i] = normalPdf(zs[i], 0, 1);
      post[i] = normalPdf(zs[i], postMean, postSd);
      q[i] = normalPdf(zs[i], m, s);
      q0[i] = optimizing ? normalPdf(zs[i], m0, s0) : 0;
      top = Math.max(top, slice[i], prior[i], post[i], q[i], q0[i]);
    }
    this.yDens.fit(0, niceCeil(top * 1.05), { grow });
    const dens = g.panel({ left, top: top2, width: wPlot, height: h2 }, this.z.span, this.yDens.span);
    dens.axes({ xlabel: "z" });
    panelTitle(g, dens, text.fig_densities);
    dens.clip();
    dens.fill(zs, slice, { color: palette.p, alpha: 0.18 });
    dens.line(zs, slice, { color: palette.p, width: 1 });
    dens.line(zs, prior, { color: palette.prior, width: 2, dash: [2, 3] });
    dens.line(zs, post, { color: palette.posterior, width: 2.5 });
    if (optimizing) dens.line(zs, q0, { color: palette.q, width: 1.5, dash: [6, 4] });
    dens.line(zs, q, { color: palette.q, width: 2.5 });
    dens.unclip();
    g.legend(legend, 8, g.height - legendH);
    return `${this.k}|${fmt(L.elbo)}|${fmt(L.kl)}`;
  }

  destroy() { clearTimeout(this.timer); this.player.destroy(); super.destroy(); }

  /** Eq. 1.4.10 (row 1) and eq. 1.4.12 (row 0) as the server's ledger (ui/figures_elbo.py): points for
   * log p(x), the ELBO and the reconstruction term; bars only for the KL terms, from the ELBO. */
  drawLedger(g, p, L) {
    const { palette } = this.data;
    const th = g.theme, ctx = g.ctx;
    const rowH = 0.13 * (p.height / 2.5); // half of plotly's bar width 0.26 (row units)
    const middle = 0.5 * (p.x[0] + p.x[1]);
    p.clip();
    p.vline(0, { color: th.text, width: 1 });
    p.vline(L.lp, { color: palette.p, width: 1.5, dash: [6, 4] });
    const bar = (row, start, end, colour, label, hatch) => {
      const x0 = p.px(Math.min(start, end)), x1 = p.px(Math.max(start, end)), yc = p.py(row);
      ctx.save();
      ctx.fillStyle = colour;
      ctx.fillRect(x0, yc - rowH, x1 - x0, 2 * rowH);
      if (hatch) {
        ctx.beginPath(); ctx.rect(x0, yc - rowH, x1 - x0, 2 * rowH); ctx.clip();
        ctx.strokeStyle = "rgba(255,255,255,0.55)"; ctx.lineWidth = 1;
        for (let hx = x0 - 2 * rowH; hx < x1; hx += 8) {
          ctx.beginPath(); ctx.moveTo(hx, yc + rowH); ctx.lineTo(hx + 2 * rowH, yc - rowH); ctx.stroke();
        }
      }
      ctx.restore();
      ctx.font = g.font();
      if (ctx.measureText(label).width + 10 < x1 - x0) {
        g.text(label, (x0 + x1) / 2, yc, { color: "#ffffff", align: "center", baseline: "middle" });
      }
    };
    const point = (row, value, colour, shape, label, above) => {
      marker(ctx, p.px(value), p.py(row), { shape, size: 14, color: colour, lineWidth: 1.5 });
      g.text(`${label} = ${fmt(value)}`, p.px(value), p.py(row) + (above ? -13 : 13), {
        color: colour, align: value > middle ? "right" : "left", baseline: above ? "bottom" : "top", bg: textBg(th) });
    };
    bar(1, L.elbo, L.lp, palette.gap, `KL(q‖p(z|x)) = ${fmt(L.kl)}`);
    bar(0, L.elbo, L.elbo + L.priorKl, palette.prior, `KL(q‖p(z)) = ${fmt(L.priorKl)}`, true);
    p.unclip();
    point(0, L.recon, this.data.recon_colour, "triangle-up", "E_q[log p(x|z)]", true);
    point(0, L.elbo, palette.q, "diamond", "ELBO", false);
    point(1, L.elbo, palette.q, "diamond", "ELBO", false);
    point(1, L.lp, palette.p, "circle", "log p(x)", true);
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new LedgerView(root));
}
