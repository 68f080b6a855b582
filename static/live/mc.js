// Live view of the Monte Carlo page (eq. 1.4.13, the Monte Carlo box): a play button grows n from
// 1 to the chosen L in a few seconds and a scrubber moves n back and forth. Every frame reveals,
// up to n, each run's running estimate Q_n, run 1's ±2 s.e. band, the exact ±2σ/√n funnel, the
// errors against σ/√n (log–log) and the histogram of the runs' standardized estimates at n.
// Nothing is sampled here: the server sends its running estimates at the page's log-spaced
// checkpoints once (base64 float64), so every number shown is the server's own. When a drag or a
// play ends, n goes to Python once (one rerun: the URL).

import { Graphics, Plot, fmt, mountOnce, niceCeil, reducedMotion, rgba } from "./plot.js";
import { Readout, Slider, button, el } from "./controls.js";

const PLAY_MS = 4000; // n = 1 → L in 4 s, log-uniform: the same time per decade
const Z_LIM = 4; // the histogram's axis: ±4 standard errors
const BIN = 0.5;

/** base64 → Float64Array (little-endian float64, as ui.live.mc.pack writes it). */
export function decodeFloat64(b64) {
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float64Array(bin.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

const count = (n) => Math.round(n).toLocaleString("en-US");

/** Densities of the runs' standardized estimates in bins of BIN over [−Z_LIM, Z_LIM] (outliers in the end bins). */
function histogram(z) {
  const bins = new Float64Array(Math.round((2 * Z_LIM) / BIN));
  for (const v of z) {
    const i = Math.min(bins.length - 1, Math.max(0, Math.floor((v + Z_LIM) / BIN)));
    bins[i] += 1 / (z.length * BIN);
  }
  return bins;
}

/** Run 1's colour (the server chart's dark slate), lightened on a dark theme so it stays visible. */
const run1Colour = (g, colours) => (g.theme.dark ? "#9fb3e0" : colours.run1);

/** An offscreen canvas the size of the plot, painted once by ``draw(g)`` (g: a Graphics like the plot's). */
function paintLayer(g, dpr, draw) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(g.width * dpr);
  canvas.height = Math.round(g.height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const h = new Graphics(ctx, g.width, g.height, g.theme);
  h.fontSize = g.fontSize;
  draw(h);
  return canvas;
}

class MCView {
  constructor(root) {
    this.k = null;
    this.playing = false;
    this.dragging = false;
    const wrap = el(root, "div", "live-root");
    this.controls = el(wrap, "div", "live-controls");
    Object.assign(this.controls.style, { flex: "1 1 100%", maxWidth: "none", flexDirection: "row",
      alignItems: "flex-end", gap: "1rem" });
    this.playButton = button(this.controls, "", () => this.toggle(), { className: "live-play" });
    this.playButton.style.whiteSpace = "nowrap";
    const figure = el(wrap, "div", "live-figure");
    figure.style.flexBasis = "100%";
    const readouts = el(figure, "div", "live-readouts");
    this.readouts = { n: new Readout(readouts, "n"), q: new Readout(readouts, ""), se: new Readout(readouts, "") };
    this.plot = new Plot(figure, { height: 760, name: "mc", render: (g) => this.render(g) });
  }

  build(data) {
    this.slider = new Slider(this.controls, {
      name: "n", label: data.text.scrubber, min: 0, max: data.n.length - 1, step: 1, value: data.n.length - 1,
      color: data.palette.p, format: (i) => count(this.n[Math.min(i, this.n.length - 1)]),
      onInput: (i) => { this.stop(); this.dragging = true; this.k = i; this.plot.invalidate(); },
      onRelease: () => { this.dragging = false; this.send(this.n[this.k]); },
    });
    this.slider.root.style.flex = "1 1 260px";
  }

  update(data) {
    this.version = (this.version || 0) + 1; // new text or data: repaint the layers once
    const fresh = !this.data || data.mean !== this.data.mean || data.se !== this.data.se;
    this.data = data;
    const { text } = data;
    if (fresh) {
      this.n = data.n;
      this.mean = decodeFloat64(data.mean); // (runs, K), row-major
      this.se = decodeFloat64(data.se); // (K,) run 1
      this.fitAxes();
    }
    if (!this.slider) this.build(data);
    const K = this.n.length;
    this.slider.o.max = K - 1;
    this.slider.input.max = String(K - 1);
    this.slider.setLabel(text.scrubber);
    // A rerun echoes an n this view reported itself (perhaps an older one, overtaken by a newer
    // gesture): only new data or an n from elsewhere (a shared link) moves the view.
    this.reported ||= new Set();
    if (!this.dragging && !this.playing && (fresh || !this.reported.has(data.values.n))) {
      let k = 0;
      while (k + 1 < K && this.n[k + 1] <= data.values.n) k++;
      this.k = k;
      this.slider.set(k);
    }
    this.readouts.q.setLabel(text.readout_estimate);
    this.readouts.se.setLabel(text.readout_se);
    this.playButton.setAttribute("aria-label", text.play);
    this.showButton();
    this.plot.setLabel(data.text.chart_aria);
    this.plot.invalidate();
  }

  /** Report where a gesture or a play ended (one rerun), remembering it to recognise its echo. */
  send(n) {
    this.reported.add(n);
    this.report({ n });
  }

  at(run, k) { return this.mean[run * this.n.length + k]; }

  /** Axes that never move while n does: the server chart's y-range, the errors' decades, the histogram's peak. */
  fitAxes() {
    const { runs, exact, sd } = this.data;
    const K = this.n.length;
    let lo = Infinity, hi = 0, peak = 0.45;
    for (let k = 0; k < K; k++) {
      const z = [];
      for (let r = 0; r < runs; r++) {
        const err = Math.abs(this.at(r, k) - exact);
        if (err > 0) { lo = Math.min(lo, err); hi = Math.max(hi, err); }
        z.push((this.at(r, k) - exact) / (sd / Math.sqrt(this.n[k])));
      }
      if (sd > 0) peak = Math.max(peak, ...histogram(z));
      if (sd > 0) { lo = Math.min(lo, sd / Math.sqrt(this.n[k])); hi = Math.max(hi, sd / Math.sqrt(this.n[k])); }
    }
    if (!(hi > 0)) { lo = 1e-3; hi = 1; }
    this.errRange = [10 ** Math.floor(Math.log10(Math.max(lo, hi * 1e-8))), 10 ** Math.ceil(Math.log10(hi))];
    this.histPeak = niceCeil(peak * 1.05);
  }

  showButton() {
    const { text } = this.data;
    this.playButton.textContent = this.playing ? text.pause : text.play;
    this.playButton.setAttribute("aria-pressed", String(this.playing));
  }

  toggle() {
    if (this.playing) { this.stop(); this.send(this.n[this.k]); return; }
    const K = this.n.length;
    if (reducedMotion()) { // the settled view, without the animation
      this.k = K - 1;
      this.slider.set(this.k);
      this.plot.invalidate();
      this.send(this.n[this.k]);
      return;
    }
    if (this.k >= K - 1) this.k = 0;
    this.playing = true;
    this.showButton();
    const logL = Math.log(this.n[K - 1]);
    const from = Math.log(this.n[this.k]);
    const duration = logL > 0 ? PLAY_MS * ((logL - from) / logL) : 0;
    const start = performance.now();
    const tick = (now) => {
      if (!this.playing) return;
      const u = duration > 0 ? Math.min(1, (now - start) / duration) : 1;
      const target = from + u * (logL - from);
      let k = this.k;
      while (k + 1 < K && Math.log(this.n[k + 1]) <= target + 1e-12) k++;
      this.k = k;
      this.plot.invalidate();
      if (u < 1) { requestAnimationFrame(tick); return; }
      this.stop();
      this.slider.set(k);
      this.send(this.n[K - 1]);
    };
    requestAnimationFrame(tick);
  }

  stop() {
    if (!this.playing) return;
    this.playing = false;
    this.showButton();
  }

  render(g) {
    g.fontSize = Math.max(g.fontSize, 14);
    const { runs, exact, palette } = this.data;
    const k = this.k, n = this.n;
    const q = this.at(0, k), se = this.se[k];
    let sq = 0;
    for (let r = 0; r < runs; r++) sq += (this.at(r, k) - exact) ** 2;
    const rms = Math.sqrt(sq / runs);
    // While playing, the page's HTML (readouts, slider) follows at ~12 Hz and the canvas at frame
    // rate: re-laying out text every frame costs more than the whole drawing (measured).
    const now = performance.now();
    if (!this.playing || !(now - this.domAt < 80)) {
      this.domAt = now;
      this.readouts.n.set(count(n[k]));
      this.readouts.q.set(fmt(q));
      this.readouts.se.set(Number.isFinite(se) ? fmt(se) : "—");
      if (this.playing) this.slider.set(k);
    }
    this.plot.canvas.dataset.state = JSON.stringify({ n: n[k], q, se: Number.isFinite(se) ? se : null, rms });

    const wide = g.width >= 700;
    this.plot.setHeight(wide ? 740 : 1060);
    const lay = this.layout(g, wide);
    // Everything up to n is a prefix along the (log) n axis: the whole picture is painted once into
    // layers, and a frame shows it clipped at n — a few image copies per frame, whatever L and runs.
    const dpr = window.devicePixelRatio || 1;
    const key = [g.width, g.height, dpr, g.theme.dark, this.version].join("|");
    if (this.layerKey !== key) {
      this.under = paintLayer(g, dpr, (h) => this.drawFrame(h, lay));
      this.runsLayer = paintLayer(g, dpr, (h) => this.drawRuns(h, lay));
      this.layerKey = key;
    }
    const ctx = g.ctx;
    ctx.drawImage(this.under, 0, 0, g.width, g.height);
    const run = g.panel(lay.run, lay.xr, this.data.yrange, { xlog: true });
    const err = g.panel(lay.err, lay.xr, this.errRange, { xlog: true, ylog: true });
    for (const p of [run, err]) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(p.left - 2, p.top - 2, p.px(n[k]) - p.left + 3, p.height + 4);
      ctx.clip();
      ctx.drawImage(this.runsLayer, 0, 0, g.width, g.height);
      ctx.restore();
    }
    const exactColour = lay.exactColour;
    run.clip();
    run.hline(exact, { color: exactColour, width: 1.5 });
    run.vline(n[k], { color: g.theme.muted, width: 1, dash: [3, 3] });
    run.unclip();
    err.clip();
    const sd = this.data.sd;
    if (sd > 0) err.line(n, Array.from(n, (v) => sd / Math.sqrt(v)), { color: exactColour, width: 2, dash: [6, 4] });
    err.vline(n[k], { color: g.theme.muted, width: 1, dash: [3, 3] });
    err.unclip();
    this.drawHistogram(g, lay.hist, k, palette);
    return String(n[k]);
  }

  layout(g, wide) {
    const left = 64, right = 34;
    const legendX = wide ? left : 4; // a phone's long legend items need the whole width
    const legendH = g.legendHeight(this.legendItems(g), legendX);
    const top = legendH + 30, runH = 300;
    const L = this.n[this.n.length - 1];
    const top2 = top + runH + 96;
    const bottom = g.height - (wide ? 96 : 50); // room for the panels' legends (two rows when wide)
    let err, hist;
    if (wide) {
      const w = (g.width - left - right - 80) / 2;
      err = { left, top: top2, width: w, height: bottom - top2 };
      hist = { left: left + w + 80, top: top2, width: w, height: bottom - top2 };
    } else {
      const h = (bottom - top2 - 150) / 2;
      err = { left, top: top2, width: g.width - left - right, height: h };
      hist = { left, top: top2 + h + 150, width: g.width - left - right, height: h };
    }
    return { legendX, run: { left, top, width: g.width - left - right, height: runH }, err, hist,
      xr: [1, Math.max(L, 10)], exactColour: g.theme.dark ? g.theme.text : "#222222" };
  }

  legendItems(g) {
    const { text, palette, colours, exact } = this.data;
    return [
      { label: text.band_exact, color: "#969696", kind: "fill", alpha: 0.35 },
      { label: text.run_others, color: colours.runs, width: 1.5 },
      { label: text.band_run, color: palette.q, kind: "dash", width: 1.5 },
      { label: text.run_first, color: run1Colour(g, colours) },
      { label: text.exact_line.replace("{value}", fmt(exact)), color: g.theme.dark ? g.theme.text : "#222222", width: 1.5 },
    ];
  }

  /** The layer under the data: legends and axes. */
  drawFrame(g, lay) {
    const { text, palette, colours } = this.data;
    g.legend(this.legendItems(g), lay.legendX, 0);
    const run = g.panel(lay.run, lay.xr, this.data.yrange, { xlog: true });
    run.axes({ title: text.running_title, xlabel: text.axis_n, ylabel: "Q_n", xgrid: true });
    const err = g.panel(lay.err, lay.xr, this.errRange, { xlog: true, ylog: true });
    err.axes({ title: text.error_title, xlabel: "n", xgrid: true });
    const narrow = lay.err.left < 100 || g.width < 700;
    g.legend([{ label: text.err_runs, color: colours.runs, width: 1.5 }, { label: text.readout_rms, color: palette.gap, width: 3 },
      { label: text.reference, color: lay.exactColour, kind: "dash", width: 2 }], narrow ? 4 : lay.err.left,
    lay.err.top + lay.err.height + 40, { maxWidth: narrow ? undefined : lay.err.width });
  }

  /** The layer a frame reveals up to n: the funnel, every run, run 1's band, the errors and their RMS. */
  drawRuns(g, lay) {
    const { palette, colours, runs, exact, sd } = this.data;
    const n = Array.from(this.n), K = n.length;
    const gapped = (rows) => { // many runs as one NaN-gapped path (as the server's chart draws them)
      const xs = [], ys = [];
      for (const row of rows) { for (let i = 0; i < K; i++) { xs.push(n[i]); ys.push(row(i)); } xs.push(NaN); ys.push(NaN); }
      return [xs, ys];
    };
    const others = Array.from({ length: runs - 1 }, (_, r) => (i) => this.at(r + 1, i));
    const run = g.panel(lay.run, lay.xr, this.data.yrange, { xlog: true });
    run.clip();
    const funnel = n.map((v) => 2 * sd / Math.sqrt(v));
    run.band(n, funnel.map((f) => exact - f), funnel.map((f) => exact + f), { color: "#969696", alpha: 0.25 });
    if (others.length) run.line(...gapped(others), { color: colours.runs, width: 1 });
    const band = [2, -2].map((sign) => (i) => (i ? this.at(0, i) + sign * this.se[i] : NaN));
    run.line(...gapped(band), { color: palette.q, width: 1.5, dash: [5, 4] });
    run.line(n, n.map((_, i) => this.at(0, i)), { color: run1Colour(g, colours), width: 2.5 });
    run.unclip();
    const err = g.panel(lay.err, lay.xr, this.errRange, { xlog: true, ylog: true });
    const positive = (v) => (v > 0 ? v : NaN);
    err.clip();
    const all = Array.from({ length: runs }, (_, r) => (i) => positive(Math.abs(this.at(r, i) - exact)));
    err.line(...gapped(all), { color: colours.runs, width: 1 });
    err.line(n, n.map((_, i) => {
      let s = 0;
      for (let r = 0; r < runs; r++) s += (this.at(r, i) - exact) ** 2;
      return positive(Math.sqrt(s / runs));
    }), { color: palette.gap, width: 3 });
    err.unclip();
  }

  /** The runs' (Q_n − exact)/(σ/√n) at this n, against N(0, 1): the central limit theorem. */
  drawHistogram(g, rect, k, palette) {
    const { text, runs, exact, sd } = this.data;
    const p = g.panel(rect, [-Z_LIM, Z_LIM], [0, this.histPeak]);
    p.axes({ title: `${text.hist_title} (${text.runs_at.replace("{n}", count(this.n[k]))})`, xlabel: text.hist_axis });
    if (!(sd > 0)) {
      g.text(text.sd_zero, rect.left + rect.width / 2, rect.top + rect.height / 2, { align: "center", color: g.theme.muted });
      return;
    }
    const z = [];
    for (let r = 0; r < runs; r++) z.push((this.at(r, k) - exact) / (sd / Math.sqrt(this.n[k])));
    const bins = histogram(z);
    const width = (p.px(BIN) - p.px(0)) - 1;
    p.clip();
    bins.forEach((d, i) => { if (d > 0) p.bar(-Z_LIM + (i + 0.5) * BIN, 0, d, { color: rgba(run1Colour(g, this.data.colours), 0.55), widthPx: width }); });
    const grid = Array.from({ length: 161 }, (_, i) => -Z_LIM + (2 * Z_LIM * i) / 160);
    p.line(grid, grid.map((x) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI)), { color: palette.gap, width: 2.5 });
    p.unclip();
    g.legend([{ label: text.clt, color: palette.gap, width: 2.5 }], rect.left, rect.top + rect.height + 40);
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new MCView(root));
}
