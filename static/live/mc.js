// Live view of the Monte Carlo page (eq. 1.4.13, the Monte Carlo box): a play button grows n from
// 1 to the chosen L in a few seconds and a scrubber moves n back and forth. Every frame reveals,
// up to n, each run's running estimate Q_n, run 1's ±2 s.e. band, the exact ±2σ/√n funnel, the
// errors against σ/√n (log–log) and the histogram of the runs' standardized estimates at n.
// Nothing is sampled here: the server sends its running estimates at the page's log-spaced
// checkpoints once (base64 float64), so every number shown is the server's own. When a drag or a
// play ends, n goes to Python once (one rerun: the URL). ui/live/mc.py sends the data;
// tests/browser/test_live_mc.py holds the numbers equal to the server's.

import { Graphics, Plot } from "./plot.js";
import { fmt, logLabel, niceCeil } from "./format.js";
import { rgba } from "./theme.js";
import { wrapLines } from "./text.js";
import { decodeFloat64, mountOnce } from "./mount.js";
import { presenting } from "./presenter.js";
import { TESTING } from "./instrument.js";
import { Player } from "./player.js";
import { Readout, Slider, button, el } from "./controls.js";

const PLAY_MS = 4000 / (window.__LIVE_PLAY_SPEED__ || 1); // n = 1 → L in 4 s, log-uniform (tests may speed it up)
const Z_LIM = 4; // the histogram's axis: ±4 standard errors
const BIN = 0.5;
// Presenter mode on a wide column: the smallest height whose row layout still reads at 18 px (the
// error and histogram panels about 90 px tall); below it the page scrolls rather than the text crowds.
const PRESENT_MIN = 440;

let thousands = ","; // the page language's thousands separator (text.thousands: "," in English, none in Chinese)
const count = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, thousands);

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

// --- presenter-mode helpers -------------------------------------------------------------------------
/** The whole decades k of a log axis' range [10^a, 10^b]. */
function decades([lo, hi]) {
  const out = [];
  for (let k = Math.ceil(Math.log10(lo) - 1e-9); k <= Math.log10(hi) + 1e-9; k++) out.push(k);
  return out;
}

/** A log axis' ticks every 1, 2, 3 … decades, so that labels ``f`` px tall stay apart on ``height`` px. */
function logTicks(range, height, f) {
  const ks = decades(range);
  const perDecade = height / Math.max(1, Math.log10(range[1] / range[0]));
  const every = Math.max(1, Math.ceil((1.5 * f) / perDecade));
  const top = ks[ks.length - 1]; // keep the top decade: the biggest errors are the ones read first
  return ks.filter((k) => (top - k) % every === 0).map((k) => [10 ** k, logLabel(k)]);
}

/** A panel's title above it, centred on the panel where it fits, else moved (or wrapped) to stay inside ``col``. */
function panelTitle(g, str, rect, col) {
  const ctx = g.ctx;
  ctx.font = g.font();
  const lines = wrapLines(ctx, str, col.right - col.left);
  const line = Math.round(g.fontSize * 1.25);
  lines.forEach((text, i) => {
    const w = ctx.measureText(text).width;
    const cx = Math.min(col.right - w / 2, Math.max(col.left + w / 2, rect.left + rect.width / 2));
    g.text(text, cx, rect.top - 8 - (lines.length - 1 - i) * line, { color: g.theme.muted, align: "center" });
  });
}

/**
 * Graphics.legend with one difference for presenter mode: an item too wide for a row by itself (a
 * long label at 18 px on a narrow column) wraps its label onto more lines instead of running off
 * the canvas. Returns the height used; ``measure`` draws nothing.
 */
function wrappedLegend(g, items, px, py, { maxWidth, measure = false } = {}) {
  const ctx = g.ctx;
  ctx.font = g.font();
  const limit = px + (maxWidth || g.width - px);
  const rowH = g.fontSize * 1.5, lineH = Math.round(g.fontSize * 1.25);
  let x = px, y = py, rowLines = 1;
  for (const item of items) {
    const lines = wrapLines(ctx, item.label, limit - px - 26 - 2); // as Graphics.legend, the label may use the item's end gap
    const w = 26 + Math.max(...lines.map((t) => ctx.measureText(t).width)) + 16;
    if (x + w > limit && x > px) { x = px; y += rowH + (rowLines - 1) * lineH; rowLines = 1; }
    if (!measure) {
      g.swatch(item, x, y + rowH / 2);
      lines.forEach((t, i) => g.text(t, x + 26, y + rowH / 2 + i * lineH, { baseline: "middle", color: g.theme.text }));
    }
    rowLines = Math.max(rowLines, lines.length);
    x += w;
  }
  return y + rowH + (rowLines - 1) * lineH - py;
}

class MCView {
  constructor(root) {
    this.k = null;
    this.dragging = false;
    this.player = new Player({
      frame: (now) => this.tick(now),
      end: () => { this.slider.set(this.k); this.send(this.n[this.n.length - 1]); },
      paused: () => this.send(this.n[this.k]),
      settle: () => { // the settled view, without the animation
        this.k = this.n.length - 1;
        this.slider.set(this.k);
        this.plot.invalidate();
        this.send(this.n[this.k]);
      },
      changed: () => this.showButton(),
    });
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
    // fit: in presenter mode the readouts, the scrubber and the whole chart share one screen
    this.plot = new Plot(figure, { height: 760, fit: true, minHeight: PRESENT_MIN, name: "mc", render: (g) => this.render(g) });
  }

  build(data) {
    this.slider = new Slider(this.controls, {
      name: "n", label: data.text.scrubber, min: 0, max: data.n.length - 1, step: 1, value: data.n.length - 1,
      color: data.palette.p, format: (i) => count(this.n[Math.min(i, this.n.length - 1)]),
      onInput: (i) => { this.player.stop(); this.dragging = true; this.k = i; this.plot.invalidate(); },
      onRelease: () => { this.dragging = false; this.send(this.n[this.k]); },
    });
    this.slider.root.style.flex = "1 1 260px";
  }

  update(data) {
    this.version = (this.version || 0) + 1; // new text or data: repaint the layers once
    const fresh = !this.data || data.mean !== this.data.mean || data.se !== this.data.se;
    this.data = data;
    const { text } = data;
    thousands = text.thousands ?? ",";
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
    if (!this.dragging && !this.player.playing && (fresh || !this.reported.has(data.values.n))) {
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
    const playing = this.player.playing;
    this.playButton.textContent = playing ? text.pause : text.play;
    this.playButton.setAttribute("aria-pressed", String(playing));
  }

  /** Play n from here (from 1 at the end) to L, log-uniformly in PLAY_MS for the whole way; or pause. */
  toggle() {
    if (!this.player.playing) {
      const K = this.n.length;
      if (this.k >= K - 1) this.k = 0;
      const logL = Math.log(this.n[K - 1]);
      const from = Math.log(this.n[this.k]);
      this.run = { from, logL, duration: logL > 0 ? PLAY_MS * ((logL - from) / logL) : 0, start: performance.now() };
    }
    this.player.toggle();
  }

  /** One frame of play: n at this time; false once at L. */
  tick(now) {
    const { from, logL, duration, start } = this.run;
    const K = this.n.length;
    const u = duration > 0 ? Math.min(1, (now - start) / duration) : 1;
    const target = from + u * (logL - from);
    let k = this.k;
    while (k + 1 < K && Math.log(this.n[k + 1]) <= target + 1e-12) k++;
    this.k = k;
    this.plot.invalidate();
    return u < 1;
  }

  render(g) {
    const { runs, exact, palette } = this.data;
    const k = this.k, n = this.n;
    const q = this.at(0, k), se = this.se[k];
    let sq = 0;
    for (let r = 0; r < runs; r++) sq += (this.at(r, k) - exact) ** 2;
    const rms = Math.sqrt(sq / runs);
    // While playing, the page's HTML (readouts, slider) follows at ~12 Hz and the canvas at frame
    // rate: re-laying out text every frame costs more than the whole drawing (measured).
    const now = performance.now();
    const playing = this.player.playing;
    if (!playing || !(now - this.domAt < 80)) {
      this.domAt = now;
      this.readouts.n.set(count(n[k]));
      this.readouts.q.set(fmt(q));
      this.readouts.se.set(Number.isFinite(se) ? fmt(se) : "—");
      if (playing) this.slider.set(k);
    }
    // tests read the numbers at full precision (instrument.js)
    if (TESTING) this.plot.canvas.dataset.state = JSON.stringify({ n: n[k], q, se: Number.isFinite(se) ? se : null, rms });

    const wide = g.width >= 700;
    const present = presenting();
    let lay;
    if (present) {
      lay = this.presentLayout(g, wide);
      // A stacked (narrow) presenter layout cannot shrink to a screen at 18 px: it takes its whole
      // height (the floor) and the page scrolls; a wide one fits the screen down to PRESENT_MIN.
      this.plot.setMinHeight(wide ? PRESENT_MIN : lay.natural);
      this.plot.setHeight(wide ? 740 : lay.natural);
    } else {
      this.plot.setHeight(wide ? 740 : 1060);
      lay = this.layout(g, wide);
    }
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
    this.drawHistogram(g, lay, k, palette);
    return String(n[k]);
  }

  layout(g, wide) {
    const left = 64, right = 34;
    const legendX = wide ? left : 4; // a phone's long legend items need the whole width
    const legendH = g.legendHeight(this.legendItems(g), legendX);
    const top = legendH + 30, runH = 300;
    const L = this.n[this.n.length - 1];
    const top2 = top + runH + 96;
    // room below the panels for their axis titles and legends (two rows when wide; one row, whole, when
    // stacked — at 50 px the histogram's legend was cut in half by the canvas's bottom edge)
    const bottom = g.height - (wide ? 96 : 66);
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
    const narrow = err.left < 100 || g.width < 700;
    return { legendX, run: { left, top, width: g.width - left - right, height: runH }, err, hist,
      xr: [1, Math.max(L, 10)], exactColour: g.theme.dark ? g.theme.text : "#222222",
      errLegend: { x: narrow ? 4 : err.left, y: err.top + err.height + 40, maxWidth: narrow ? undefined : err.width },
      histLegend: { x: hist.left, y: hist.top + hist.height + 40 } };
  }

  /**
   * Presenter mode (18 px text). Wide (the right-hand column of a 1280 px screen): a row layout
   * proportional to g.height — the running estimates under their legend on the left, as tall as the
   * chart allows, and the error and histogram panels stacked on the right, each with its legend.
   * Narrow (a zoomed or small screen): the panels stacked as on a phone, spaced for 18 px text, at
   * a height of their own (``natural``). Every title, tick label and legend is measured, not assumed.
   */
  presentLayout(g, wide) {
    const f = g.fontSize;
    const W = g.width, H = g.height;
    const L = this.n[this.n.length - 1];
    const xr = [1, Math.max(L, 10)];
    const exactColour = g.theme.dark ? g.theme.text : "#222222";
    const line = Math.round(f * 1.25);
    const below = 8 + 2 * f + 12; // a panel's tick labels and axis title under it
    const over = 6 + f; // a one-line title's room above its panel
    const { text } = this.data;
    const ctx = g.ctx;
    ctx.font = g.font();
    const measure = (str) => ctx.measureText(str).width;
    // the error axis' widest tick label (its decades as log labels, "0.001" the widest of them)
    const errTickW = Math.max(...decades(this.errRange).map((k) => measure(logLabel(k))));
    const histTitle = this.histTitle(count(L)); // at its widest n
    const errItems = this.errLegendItems(g);
    const histItems = this.histLegendItems(g);
    if (wide) {
      const split = Math.round(W * 0.52); // the left column: the run panel, the biggest
      const left = 64; // room for Q_n's tick labels and its rotated axis title
      const legendH = wrappedLegend(g, this.legendItems(g), 4, 0, { maxWidth: split - 8, measure: true });
      const runTop = legendH + 6 + over + (wrapLines(ctx, text.running_title, split).length - 1) * line;
      const run = { left, top: runTop, width: split - left - 30, height: H - runTop - below };
      // the right column: error panel, its legend, histogram panel, its legend
      const col = { left: split + 6, right: W };
      const pLeft = col.left + Math.ceil(errTickW) + 12;
      const pWidth = W - 26 - pLeft; // "10000" under the right edge needs half its width
      const errTitle = wrapLines(ctx, text.error_title, col.right - col.left);
      const histTitleLines = wrapLines(ctx, histTitle, col.right - col.left).length;
      const errLegH = wrappedLegend(g, errItems, col.left + 4, 0, { maxWidth: col.right - col.left - 4, measure: true });
      const histLegH = wrappedLegend(g, histItems, col.left + 4, 0, { maxWidth: col.right - col.left - 4, measure: true });
      const errTop = 4 + errTitle.length * line + 6;
      const fixed = errTop + below + errLegH + 14 + histTitleLines * line + 6 + below + histLegH + 2;
      const room = Math.max(2 * 60, H - fixed);
      const errH = Math.round(room * 0.5), histH = room - errH;
      const err = { left: pLeft, top: errTop, width: pWidth, height: errH };
      const errLegY = errTop + errH + below;
      const histTop = errLegY + errLegH + 14 + histTitleLines * line + 6;
      const hist = { left: pLeft, top: histTop, width: pWidth, height: histH };
      return { present: true, legendX: 4, legendMax: split - 8, run, err, hist, xr, exactColour, col,
        errLegend: { x: col.left + 4, y: errLegY, maxWidth: col.right - col.left - 4 },
        histLegend: { x: col.left + 4, y: histTop + histH + below, maxWidth: col.right - col.left - 4 },
        errYTicks: logTicks(this.errRange, errH, f) };
    }
    // narrow: stacked, every block measured at this width
    const left = 64, right = 30;
    const w = W - left - right;
    const col = { left: 0, right: W };
    const legendH = wrappedLegend(g, this.legendItems(g), 4, 0, { measure: true });
    const runTop = legendH + 6 + over + (wrapLines(ctx, text.running_title, W).length - 1) * line;
    const runH = 280, errH = 200, histH = 200;
    const errTitleH = wrapLines(ctx, text.error_title, W).length * line;
    const histTitleH = wrapLines(ctx, histTitle, W).length * line;
    const errTop = runTop + runH + below + 16 + errTitleH + 6;
    const errLegY = errTop + errH + below;
    const errLegH = wrappedLegend(g, errItems, 4, 0, { measure: true });
    const histTop = errLegY + errLegH + 16 + histTitleH + 6;
    const histLegY = histTop + histH + below;
    const natural = Math.ceil(histLegY + wrappedLegend(g, histItems, 4, 0, { measure: true }) + 4);
    const err = { left, top: errTop, width: w, height: errH };
    return { present: true, natural, legendX: 4, run: { left, top: runTop, width: w, height: runH }, err, col,
      hist: { left, top: histTop, width: w, height: histH }, xr, exactColour,
      errLegend: { x: 4, y: errLegY }, histLegend: { x: 4, y: histLegY }, errYTicks: logTicks(this.errRange, errH, f) };
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

  errLegendItems(g) {
    const { text, palette, colours } = this.data;
    return [{ label: text.err_runs, color: colours.runs, width: 1.5 }, { label: text.readout_rms, color: palette.gap, width: 3 },
      { label: text.reference, color: g.theme.dark ? g.theme.text : "#222222", kind: "dash", width: 2 }];
  }

  /** Presenter mode's histogram title: "(n = 10,000)" never broken across lines (no-break spaces). */
  histTitle(n) {
    const { text } = this.data;
    return `${text.hist_title}${text.runs_at.replace("{n}", n).replace(/ /g, "\u00a0")}`;
  }

  histLegendItems() { return [{ label: this.data.text.clt, color: this.data.palette.gap, width: 2.5 }]; }

  /** The layer under the data: legends and axes. */
  drawFrame(g, lay) {
    const { text } = this.data;
    const legend = lay.present ? (...a) => wrappedLegend(g, ...a) : (...a) => g.legend(...a);
    legend(this.legendItems(g), lay.legendX, 0, { maxWidth: lay.legendMax });
    const run = g.panel(lay.run, lay.xr, this.data.yrange, { xlog: true });
    // presenter mode: titles measured, wrapped and kept inside their column (see panelTitle)
    const title = (str) => (lay.present ? undefined : str);
    run.axes({ title: title(text.running_title), xlabel: text.axis_n, ylabel: "Q_n", xgrid: true });
    const err = g.panel(lay.err, lay.xr, this.errRange, { xlog: true, ylog: true });
    err.axes({ title: title(text.error_title), xlabel: "n", xgrid: true, yticks: lay.errYTicks });
    if (lay.present) {
      panelTitle(g, text.running_title, lay.run, { left: 0, right: lay.run.left + lay.run.width + 30 });
      panelTitle(g, text.error_title, lay.err, lay.col);
    }
    const { x, y, maxWidth } = lay.errLegend;
    legend(this.errLegendItems(g), x, y, { maxWidth });
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
  drawHistogram(g, lay, k, palette) {
    const { text, runs, exact, sd } = this.data;
    const rect = lay.hist;
    const p = g.panel(rect, [-Z_LIM, Z_LIM], [0, this.histPeak]);
    const title = lay.present ? this.histTitle(count(this.n[k])) : `${text.hist_title}${text.runs_at.replace("{n}", count(this.n[k]))}`;
    p.axes({ title: lay.present ? undefined : title, xlabel: text.hist_axis });
    if (lay.present) panelTitle(g, title, rect, lay.col);
    const draw = lay.present ? (...a) => wrappedLegend(g, ...a) : (...a) => g.legend(...a);
    const legend = () => draw(this.histLegendItems(), lay.histLegend.x, lay.histLegend.y, { maxWidth: lay.histLegend.maxWidth });
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
    legend();
  }

  destroy() { this.player.destroy(); this.slider?.destroy(); this.plot.destroy(); }
}

export function mount(component) {
  return mountOnce(component, (root) => new MCView(root));
}
