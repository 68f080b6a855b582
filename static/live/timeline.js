// Live view of the /training page: the shipped run as a timeline. An epoch scrubber over the 25
// snapshots (and a play button: the whole run in ~10 s) redraws, at every frame and in the
// browser, the latent map (holdout means μ coloured by class), the manifold (the decoder on a
// 15 × 15 grid, one crisp canvas image) and a cursor on the curves of eq. 1.4.12's terms (log-x).
// The arrays come once per visit from static/training/ (python scripts/export_browser.py
// --timeline); a rerun sends only the epoch and the text. On release the epoch goes to Python once.
// ui/live/timeline.py sends the data; tests/browser/test_live_training.py checks it.

import { Plot } from "./plot.js";
import { MINUS as MINUS_SIGN, fmt } from "./format.js";
import { wrapLines } from "./text.js";
import { mountOnce } from "./mount.js";
import { presenting } from "./presenter.js";
import { Player } from "./player.js";
import { Readout, Slider, button, el } from "./controls.js";
import { classMedians, drawLatentMap, mapPanel } from "./latent_map.js";

const PLAY_MS = 10000 / (window.__LIVE_PLAY_SPEED__ || 1); // the whole run (tests may speed it up)
const SIDE = 28;
const GAP = 2;
const GAP_GREY = 89; // 0.35 × 255, as the latent page's manifold mosaic

let loading = null;

/** The timeline arrays, fetched once per visit: {epochs, labels, curves, klPerDim, mu, manifold, S, N, n}. */
export function loadTimeline() {
  if (!loading) {
    const base = new URL("../training/", import.meta.url);
    const get = (name) => fetch(new URL(name, base), { cache: "no-cache" }).then((r) => {
      if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
      return r;
    });
    loading = get("timeline.json").then((r) => r.json()).then(async (meta) => {
      const [muBuf, manBuf] = await Promise.all([
        get("mu_f32.bin").then((r) => r.arrayBuffer()), get("manifold_u8.bin").then((r) => r.arrayBuffer())]);
      const [S, N] = meta.files["mu_f32.bin"].shape;
      const n = meta.files["manifold_u8.bin"].shape[1];
      return { epochs: meta.epochs, labels: meta.labels, curves: meta.curves, klPerDim: meta.kl_per_dim,
        mu: new Float32Array(muBuf), manifold: new Uint8Array(manBuf), S, N, n };
    });
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** Snapshot s's arrays as plain lists (tests compare them with the npz). */
export async function snapshotArrays(s) {
  const tl = await loadTimeline();
  const cells = tl.n * tl.n * 784;
  return { epoch: tl.epochs[s], mu: Array.from(tl.mu.subarray(s * tl.N * 2, (s + 1) * tl.N * 2)),
    manifold: Array.from(tl.manifold.subarray(s * cells, (s + 1) * cells)) };
}

/** The latent map's codes at a (possibly fractional, while playing) snapshot position: μ interpolated. */
function codesAt(tl, pos) {
  const s0 = Math.floor(pos), s1 = Math.min(s0 + 1, tl.S - 1), f = pos - s0;
  const mu = new Array(tl.N);
  for (let i = 0; i < tl.N; i++) {
    const a = (s0 * tl.N + i) * 2, b = (s1 * tl.N + i) * 2;
    mu[i] = [tl.mu[a] + f * (tl.mu[b] - tl.mu[a]), tl.mu[a + 1] + f * (tl.mu[b + 1] - tl.mu[a + 1])];
  }
  const codes = { mu, labels: tl.labels };
  codes.centres = classMedians(codes);
  return codes;
}

/** Snapshot s's manifold as one canvas: white ink on black, as MNIST, grey gaps between cells. */
function manifoldCanvas(tl, s) {
  const n = tl.n, side = n * (SIDE + GAP) - GAP;
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(side, side);
  img.data.fill(GAP_GREY);
  const base = s * n * n * 784;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const cell = base + (r * n + c) * 784;
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const v = tl.manifold[cell + y * SIDE + x];
          const o = 4 * ((r * (SIDE + GAP) + y) * side + c * (SIDE + GAP) + x);
          img.data[o] = v; img.data[o + 1] = v; img.data[o + 2] = v;
        }
      }
    }
  }
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  ctx.putImageData(img, 0, 0);
  return canvas;
}

// Log-x ticks: x = epoch + 1, so epoch 0 sits at the left edge.
const EPOCH_TICKS = [0, 1, 3, 10, 30, 100, 300].map((e) => [e + 1, String(e)]);
// Presenter mode, three columns (map | manifold | curves): the smallest height at which the curve
// panels keep about 110 px each at 18 px; below it the page scrolls rather than the text crowds.
const PRESENT_MIN = 460;
const PRESENT_MAX = 680; // on a tall screen the squares are bound by the width anyway

/** Centred lines of text: the last line's baseline at ``y``, earlier lines above it; a line wider
 * than its place moves sideways to stay on the canvas (a phone's square is narrower than its title). */
function textLinesUp(g, lines, cx, y) {
  const line = Math.round(g.fontSize * 1.25);
  g.ctx.font = g.font();
  lines.forEach((t, i) => {
    const half = g.ctx.measureText(t).width / 2;
    const x = Math.min(g.width - 2 - half, Math.max(2 + half, cx));
    g.text(t, x, y - (lines.length - 1 - i) * line, { color: g.theme.muted, align: "center" });
  });
}

class TimelineView {
  constructor(root) {
    this.data = null;
    this.tl = null;
    this.pos = null; // snapshot position (fractional while playing)
    this.dragging = false;
    this.player = new Player({
      frame: (now, dt) => this.advance(dt),
      end: () => this.release(),
      paused: () => this.release(),
      settle: () => { const last = this.tl.S - 1; this.pos = last; this.slider.set(last); this.plot.invalidate(); this.release(); },
      changed: (playing) => {
        if (!playing) this.pos = Math.round(this.pos);
        this.playButton.textContent = playing ? this.data.text.pause : this.data.text.play;
        this.playButton.setAttribute("aria-pressed", String(playing));
      },
    });
    this.manifolds = new Map();
    const wrap = el(root, "div", "live-root");
    wrap.style.flexDirection = "column";
    wrap.style.gap = "0.5rem";
    const bar = el(wrap, "div");
    Object.assign(bar.style, { display: "flex", flexWrap: "wrap", gap: "0.5rem 1.5rem", alignItems: "flex-end", width: "100%" });
    this.controls = el(bar, "div");
    Object.assign(this.controls.style, { flex: "1 1 260px", display: "flex", gap: "0.75rem", alignItems: "flex-end" });
    this.readouts = el(bar, "div", "live-readouts");
    this.figure = el(wrap, "div", "live-figure");
    this.figure.style.width = "100%";
    // fit: in presenter mode the epoch scrubber, the readouts and the whole chart share one screen
    this.plot = new Plot(this.figure, { height: 640, fit: true, minHeight: PRESENT_MIN, name: "timeline",
      render: (g) => this.render(g) });
    loadTimeline().then((tl) => { this.tl = tl; this.build(); }, (err) => { this.error = String(err); this.plot.invalidate(); });
  }

  /** Controls need the epochs (from the file) and the text (from the rerun): build once both are in. */
  build() {
    if (this.slider || !this.tl || !this.data) return;
    const { text } = this.data;
    const last = this.tl.S - 1;
    this.playButton = button(this.controls, text.play, () => this.toggle(), { className: "tl-play" });
    const holder = el(this.controls, "div");
    holder.style.flex = "1 1 auto";
    this.slider = new Slider(holder, {
      name: "epoch", label: text.epoch, aria: text.epoch_aria, min: 0, max: last, step: 1, value: this.indexOf(this.data.epoch),
      format: (i) => String(this.tl.epochs[i]),
      onInput: (i) => { this.player.stop(); this.pos = i; this.dragging = true; this.plot.invalidate(); },
      onRelease: () => { this.dragging = false; this.release(); },
    });
    this.elbo = new Readout(this.readouts, "ELBO");
    this.recon = new Readout(this.readouts, text.recon_readout);
    this.kl = new Readout(this.readouts, "KL(q‖p(z))");
    this.pos = this.indexOf(this.data.epoch);
    this.plot.invalidate();
  }

  indexOf(epoch) {
    const i = this.tl.epochs.indexOf(epoch);
    return i >= 0 ? i : this.tl.S - 1;
  }

  update(data) {
    this.data = data;
    this.plot.setLabel(data.text.chart_aria);
    if (!this.tl) { this.plot.invalidate(); return; }
    if (!this.slider) { this.build(); return; }
    this.slider.setLabel(data.text.epoch, data.text.epoch_aria);
    this.playButton.textContent = this.player.playing ? data.text.pause : data.text.play;
    const incoming = this.indexOf(data.epoch);
    if (!this.dragging && !this.player.playing && incoming !== Math.round(this.pos)) {
      this.pos = incoming;
      this.slider.set(incoming);
    }
    this.plot.invalidate();
  }

  /** Play from here (from the start at the end) to the last snapshot; or pause. */
  toggle() {
    if (!this.player.playing && this.pos >= this.tl.S - 1) this.pos = 0; // (reduced motion: settle() goes to the end)
    this.player.toggle();
  }

  /** One frame of play: the whole run takes PLAY_MS; false at the last snapshot. */
  advance(dt) {
    const last = this.tl.S - 1;
    this.pos = Math.min(last, this.pos + (dt / PLAY_MS) * last);
    this.slider.set(Math.floor(this.pos));
    this.plot.invalidate();
    return this.pos < last;
  }

  release() {
    this.plot.invalidate();
    this.report({ epoch: this.tl.epochs[Math.round(this.pos)] });
  }

  manifold(s) {
    if (!this.manifolds.has(s)) this.manifolds.set(s, manifoldCanvas(this.tl, s));
    return this.manifolds.get(s);
  }

  layout(width) {
    const wide = width >= 640;
    const side = wide ? Math.min(Math.floor((width - 52 - 40 - 10) / 2), 420) : Math.min(width - 62, 420);
    const curvesH = wide ? 230 : 190;
    const top = 26;
    const mapsH = wide ? top + side + 46 : 2 * (top + side + 46);
    const height = mapsH + (wide ? curvesH + 60 : 2 * curvesH + 110) + 40;
    // the rectangles render draws in (the arithmetic the normal layout has always used)
    const map = { left: 52, top, side };
    const man = { left: wide ? 52 + side + 40 : 52, top: wide ? top : top + side + 46 + top, side };
    const cTop = man.top + side + 46 + top + 10;
    const cw = wide ? Math.floor((width - 60 - 60 - 12) / 2) : width - 60 - 12;
    const a = { left: 60, top: cTop, width: cw, height: curvesH };
    const b = wide ? { left: 60 + cw + 60, top: cTop, width: cw, height: curvesH }
      : { left: 60, top: cTop + curvesH + 70, width: cw, height: curvesH };
    return { height, floor: PRESENT_MIN, map, man, a, b, legend: { x: 60, y: (wide ? a.top : b.top) + curvesH + 44 } };
  }

  /**
   * Presenter mode (18 px text), every title and legend measured. On a wide screen: three columns,
   * map | manifold | both curve panels stacked with the legend, the squares as big as the width
   * leaves the curves ~330 px and the curves as tall as the fitted height allows. On a narrower
   * (zoomed) one: the normal arrangement spaced for 18 px, at a height of its own (``floor``).
   */
  presentLayout(g) {
    const W = g.width, H = g.height, f = g.fontSize;
    const { text } = this.data;
    const ctx = g.ctx;
    ctx.font = g.font();
    const line = Math.round(f * 1.25);
    const below = 8 + 2 * f + 12; // tick labels and an axis title under a panel
    const at300 = (key) => text[key].replace("{epoch}", "300"); // the widest epoch: no jumps while playing
    const left = 60; // the map's tick labels and its rotated z₂
    const tickW = Math.ceil(ctx.measureText(`${MINUS_SIGN}120`).width) + 14; // the curves' widest y label
    const legendItems = this.legendItems(g);
    if (W >= 1000) {
      const colW = 330 + tickW + 18; // the curves' column: 330 px of plot, its y labels, "300" at its edge
      const gap = 36;
      const side = Math.max(160, Math.min(H - 4 - 2 * line - 6 - below, Math.floor((W - left - gap - 24 - colW) / 2)));
      const titleW = side + gap - 6;
      const lines = Math.max(wrapLines(ctx, at300("map_title"), titleW).length, wrapLines(ctx, at300("manifold_title"), titleW).length);
      const top = 4 + lines * line + 6;
      const map = { left, top, side, titleW };
      const man = { left: left + side + gap, top, side, titleW };
      const colLeft = man.left + side + 24;
      const pw = W - 18 - (colLeft + tickW);
      const cLines = (key) => wrapLines(ctx, text[key], W - colLeft).length;
      const legendH = g.legendHeight(legendItems, colLeft, { maxWidth: W - colLeft });
      const aTop = 4 + cLines("curves_title") * line + 6;
      const room = H - aTop - below - 14 - cLines("kl_title") * line - 6 - below - legendH - 2;
      const h = Math.max(60, Math.floor(room / 2));
      const a = { left: colLeft + tickW, top: aTop, width: pw, height: h };
      const bTop = aTop + h + below + 14 + cLines("kl_title") * line + 6;
      const b = { left: colLeft + tickW, top: bTop, width: pw, height: h };
      return { present: true, height: PRESENT_MAX, floor: PRESENT_MIN, map, man, a, b, col: { left: colLeft, right: W },
        legend: { x: colLeft, y: bTop + h + below, maxWidth: W - colLeft } };
    }
    // narrower: the squares side by side (stacked under 640 px), the curves side by side (stacked)
    const wide = W >= 640;
    const gap = 36;
    let side = wide ? Math.min(Math.floor((W - left - gap - 10) / 2), 420) : Math.min(W - left - 10, 420);
    const titleW = wide ? side + gap - 6 : W - 8;
    const sqLines = Math.max(wrapLines(ctx, at300("map_title"), titleW).length, wrapLines(ctx, at300("manifold_title"), titleW).length);
    const top = 4 + sqLines * line + 6;
    const map = { left, top, side, titleW };
    const man = wide ? { left: left + side + gap, top, side, titleW } : { left, top: top + side + below + 14 + sqLines * line + 6, side, titleW };
    const colW = wide ? Math.floor(W / 2) : W;
    const cLines = Math.max(wrapLines(ctx, text.curves_title, colW - 8).length, wrapLines(ctx, text.kl_title, colW - 8).length);
    let curvesH = wide ? 230 : 200;
    let sized = null; // a wide column fits the screen: {natural, floor} heights; else its own height
    if (wide) {
      // A column of 640–1000 px (the lesson's picture column): squares and curves share the fitted
      // height; below PRESENT_MIN the page scrolls rather than the panels crowd.
      const fixed = top + below + 14 + cLines * line + 6 + below + g.legendHeight(legendItems, 8) + 4;
      const natural = fixed + side + curvesH;
      const floor = Math.min(natural, PRESENT_MIN);
      sized = { natural, floor };
      if (H < natural) {
        // Smaller squares, each centred over its half like the curves below it; titles as wide as a half.
        const halfW = colW - 16; // the two centres lie colW apart: titles this wide never meet
        const lines = Math.max(wrapLines(ctx, at300("map_title"), halfW).length, wrapLines(ctx, at300("manifold_title"), halfW).length);
        const sqTop = 4 + lines * line + 6;
        const rest = fixed - top + sqTop;
        curvesH = Math.max(120, Math.min(230, Math.round((Math.max(H, floor) - rest) * 0.33)));
        side = Math.max(150, Math.min(side, Math.max(H, floor) - rest - curvesH));
        const centre = Math.max(left + side / 2, Math.min((colW + left) / 2, W - colW - side / 2 - 4));
        Object.assign(map, { top: sqTop, side, titleW: halfW, left: Math.round(centre - side / 2) });
        Object.assign(man, { top: sqTop, side, titleW: halfW, left: Math.round(centre + colW - side / 2) });
      }
    }
    const cTop = man.top + side + below + 14 + cLines * line + 6;
    const pw = colW - tickW - 24;
    const a = { left: tickW, top: cTop, width: pw, height: curvesH };
    const b = wide ? { left: colW + tickW, top: cTop, width: pw, height: curvesH }
      : { left: tickW, top: cTop + curvesH + below + 14 + cLines * line + 6, width: pw, height: curvesH };
    const legendY = b.top + curvesH + below;
    const height = Math.ceil(legendY + g.legendHeight(legendItems, 8) + 4);
    return { present: true, height: sized ? sized.natural : height, floor: sized ? sized.floor : height, map, man, a, b,
      col: { left: 0, right: W }, legend: { x: 8, y: legendY } };
  }

  legendItems(g) {
    const { text, palette } = this.data;
    return [
      { label: "ELBO", color: palette.p }, { label: text.recon, color: palette.posterior },
      { label: "KL", color: palette.gap },
      { label: text.train, color: g.theme.muted }, { label: text.holdout, color: g.theme.muted, kind: "dash" },
    ];
  }


  render(g) {
    const th = g.theme;
    if (!this.tl || !this.data || this.pos === null) {
      g.text(this.error || (this.data ? this.data.text.loading : ""), 10, 24, { color: th.muted });
      return "loading";
    }
    const { text, palette } = this.data;
    const L = presenting() ? this.presentLayout(g) : this.layout(g.width);
    if (L.present) this.plot.setMinHeight(L.floor);
    this.plot.setHeight(L.height);
    const tl = this.tl;
    const s = Math.round(this.pos);
    const epoch = tl.epochs[s];
    const c = tl.curves;
    this.elbo.set(fmt(c.holdout_elbo[s]));
    this.recon.set(fmt(c.holdout_recon[s]));
    this.kl.set(fmt(c.holdout_kl[s]));

    // The latent map and the manifold, side by side (stacked on a phone).
    const map = mapPanel(g, { left: L.map.left, top: L.map.top, size: L.map.side });
    // a square's title: one line over its centre, or (presenter mode) wrapped to its column
    const squareTitle = (str, sq) => {
      if (!L.present) { g.text(str, sq.left + sq.side / 2, sq.top - 8, { color: th.muted, align: "center" }); return; }
      g.ctx.font = g.font();
      textLinesUp(g, wrapLines(g.ctx, str, sq.titleW), sq.left + sq.side / 2, sq.top - 8);
    };
    squareTitle(text.map_title.replace("{epoch}", String(epoch)), L.map);
    drawLatentMap(map, codesAt(tl, this.player.playing ? this.pos : s), palette);
    const { left: mLeft, top: mTop, side } = L.man;
    const man = g.panel({ left: mLeft, top: mTop, width: side, height: side }, [0, 1], [0, 1]);
    squareTitle(text.manifold_title.replace("{epoch}", String(epoch)), L.man);
    man.image(this.manifold(s), 0, 1, 0, 1);
    g.text(text.manifold_axes, man.left + man.width / 2, mTop + side + 6, { color: th.muted, align: "center", baseline: "top" });

    // The curves of eq. 1.4.12's terms against log epoch, with the cursor at this snapshot.
    const xs = tl.epochs.map((e) => e + 1);
    const { a, b } = L;
    const later = (name) => c[name].slice(1);
    const lo = Math.min(...later("train_elbo"), ...later("holdout_elbo"), ...later("holdout_recon"), ...later("train_recon"));
    const hi = Math.max(...later("train_recon"), ...later("holdout_recon"));
    const pad = 0.06 * (hi - lo);
    const nats = g.panel(a, [1, 301], [Math.floor((lo - pad) / 10) * 10, Math.ceil((hi + pad) / 10) * 10], { xlog: true });
    const curveTitle = (str, rect) => { // presenter mode: wrapped to, and kept inside, the column
      if (!L.present) return str;
      g.ctx.font = g.font();
      const lines = wrapLines(g.ctx, str, L.col.right - L.col.left);
      const w = Math.max(...lines.map((t) => g.ctx.measureText(t).width));
      const cx = Math.min(L.col.right - w / 2, Math.max(L.col.left + w / 2, rect.left + rect.width / 2));
      textLinesUp(g, lines, cx, rect.top - 8);
      return undefined;
    };
    nats.axes({ title: curveTitle(text.curves_title, a), xlabel: text.epoch_axis, xticks: EPOCH_TICKS, xgrid: true });
    const klHi = Math.ceil(Math.max(...c.train_kl, ...c.holdout_kl) + 0.5);
    const kl = g.panel(b, [1, 301], [0, klHi], { xlog: true });
    kl.axes({ title: curveTitle(text.kl_title, b), xlabel: text.epoch_axis, xticks: EPOCH_TICKS, xgrid: true });
    const series = [
      [nats, "train_elbo", palette.p, null], [nats, "holdout_elbo", palette.p, [6, 4]],
      [nats, "train_recon", palette.posterior, null], [nats, "holdout_recon", palette.posterior, [6, 4]],
      [kl, "train_kl", palette.gap, null], [kl, "holdout_kl", palette.gap, [6, 4]],
    ];
    for (const [panel, name, color, dash] of series) {
      panel.clip();
      panel.line(xs, c[name], { color, width: 2, dash });
      panel.unclip();
    }
    for (const panel of [nats, kl]) panel.vline(epoch + 1, { color: th.text, width: 1.5, dash: [3, 3] });
    for (const [panel, name, color] of series) {
      const y = c[name][s];
      if (y >= panel.y[0] && y <= panel.y[1]) panel.points([epoch + 1], [y], { color, r: 4.5, stroke: th.background });
    }
    if (s === 0) {
      g.text(text.off_scale.replace("{elbo}", fmt(c.holdout_elbo[0], 1)), nats.left + 8, nats.top + nats.height - 8,
        { color: th.muted, bg: th.dark ? "rgba(14,17,23,0.8)" : "rgba(255,255,255,0.8)" });
    }
    g.legend(this.legendItems(g), L.legend.x, L.legend.y, { maxWidth: L.legend.maxWidth });
    return String(epoch);
  }

  destroy() { this.player.destroy(); this.slider?.destroy(); this.plot.destroy(); }
}

export function mount(component) {
  return mountOnce(component, (root) => new TimelineView(root));
}
