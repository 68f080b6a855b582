// Live views of the latent explorer (views/latent.py → ui/live/latent.py):
//   - "pad": the latent map (holdout means by class, the prior's 1σ / 2σ circles, the interpolation
//     path, the ledger digit's q and zoom window) with a star at z. Drag the star (mouse, touch, pen),
//     click a dot, use the arrow keys, or the z₁ / z₂ sliders: every frame decodes z in the browser
//     (model.js) and shows the digit, z and log p(z). On release z goes to Python once (one rerun).
//   - "path": the straight line between two holdout digits' μ, played as an animation (play/pause,
//     speed, or scrub t); reduced-motion users see the two end frames and scrub by hand. Never reports.
// Input events only change state; drawing happens once per frame in Plot.render.

import { Plot } from "./plot.js";
import { fmt } from "./format.js";
import { adoptStyles, mountOnce, viewData } from "./mount.js";
import { TESTING } from "./instrument.js";
import { Player, reducedMotion } from "./player.js";
import { Readout, Slider, button, el } from "./controls.js";
import { loadModel } from "./model.js";
import { CURRENT, Z_LIM, digitCanvas, drawLatentMap, loadCodes, mapPanel, star } from "./latent_map.js";
import { logPriorDensity } from "./math.js";

const NAMES = ["z1", "z2"];
const STEP = 0.01; // the URL's grid for z (ui/latent_data.STATE)
const KEY_STEP = 0.05, KEY_STEP_BIG = 0.25, KEY_REST_MS = 400;
const CLICK_PX = 4; // a press that moves less than this is a click…
const DOT_PX = 7; // …and selects the holdout dot this close to it
const PATH_SECONDS = 3; // one walk from start to end at speed 1×
const MAP_MAX = 620; // the map's largest height (CSS px)

const snap = (v) => Math.round(Math.min(Math.max(v, -Z_LIM), Z_LIM) / STEP) * STEP;
const round2 = (v) => Number(snap(v).toFixed(2));

/** A short hash (FNV-1a, hex) of the 784 grey levels a digit is shown with: the frame's signature. */
export function digitSignature(pixels) {
  let h = 0x811c9dc5;
  for (let i = 0; i < pixels.length; i++) {
    h ^= Math.round(255 * pixels[i]);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** A 28 × 28 digit shown crisply (nearest-neighbour upscaling) with a caption; keeps its pixels. */
class Digit {
  constructor(parent, className = "") {
    this.root = el(parent, "figure", `latent-digit ${className}`.trim());
    this.canvas = el(this.root, "canvas", "latent-digit-canvas");
    this.canvas.setAttribute("role", "img");
    this.caption = el(this.root, "figcaption", "latent-digit-caption");
    this.pixels = new Float64Array(784);
  }

  show(model, z) {
    model.decode(z, this.pixels);
    digitCanvas(this.pixels, this.canvas);
    if (TESTING) { // for the browser tests: the probabilities behind the picture
      this.canvas.__pixels = this.pixels;
      this.canvas.__z = [...z];
    }
    return digitSignature(this.pixels);
  }

  label(caption, aria) {
    this.caption.textContent = caption;
    this.canvas.setAttribute("aria-label", aria || caption);
  }
}

/** Shared by both views: model + codes loading, the map with its static marks. */
class LatentBase {
  constructor(root, name) {
    adoptStyles(root, "latent.css");
    // A grid: the map on the left, the digit (head) and the controls on the right; on a phone the
    // head goes above the map, so a finger on the map never hides the digit it is changing.
    this.wrap = el(root, "div", `live-root latent-root latent-${name}`);
    this.figure = el(this.wrap, "div", "latent-map");
    this.head = el(this.wrap, "div", "latent-head");
    this.controls = el(this.wrap, "div", "live-controls latent-controls");
    this.status = el(this.head, "div", "latent-status");
    this.model = null;
    this.codes = null;
    // Only the decoder's file: this page never encodes (the dots are precomputed codes).
    Promise.all([loadModel({ encoder: false }), loadCodes()]).then(([model, codes]) => {
      this.model = model;
      this.codes = codes;
      this.status.textContent = "";
      this.plot.invalidate();
    }).catch((err) => {
      const message = this.data?.text.load_error || "{error}";
      this.status.textContent = message.replace("{error}", String(err.message || err));
    });
  }

  /** The square map filling the figure's width (at most ``max`` tall). */
  mapPanel(g, max) {
    const want = Math.max(220, Math.min(max, Math.round(g.width - 6)));
    if (want !== this.plot.height) this.plot.setHeight(want);
    // Square, and centred when the canvas is wider than tall (presenter mode fits its height).
    const side = Math.max(120, Math.min(g.width - 50, g.height - 48));
    const left = 40 + Math.max(0, Math.floor((g.width - 50 - side) / 2));
    return mapPanel(g, { left, top: 8, bottom: 40, size: side });
  }

  /** The interpolation path from μ_start to μ_end: dotted black on a white halo (light on dark), ends as dots. */
  drawPath(panel, a, b) {
    const [xa, ya] = this.codes.mu[a], [xb, yb] = this.codes.mu[b];
    const dark = panel.g.theme.dark;
    const [halo, ink] = dark ? ["rgba(14,17,23,0.8)", "#e6e6e6"] : ["rgba(255,255,255,0.8)", "#222"];
    panel.clip();
    panel.segment(xa, ya, xb, yb, { color: halo, width: 6 });
    panel.segment(xa, ya, xb, yb, { color: ink, width: 2.5, dash: [4, 2] });
    panel.points([xa, xb], [ya, yb], { color: ink, r: 4.5, stroke: dark ? "#000" : "#fff" });
    panel.unclip();
  }
}

// --- the pad --------------------------------------------------------------------------------------
class PadView extends LatentBase {
  constructor(root) {
    super(root, "pad");
    this.values = null;
    this.dragging = false;
    this.keyTimer = null;
    this.plot = new Plot(this.figure, { height: 480, minHeight: 420, fit: true, name: "latent",
      render: (g) => this.render(g) });
    const canvas = this.plot.canvas;
    canvas.classList.add("live-pad");
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "application");
    this.digit = new Digit(this.head);
    const numbers = el(this.head, "div", "latent-numbers");
    const readouts = el(numbers, "div", "live-readouts latent-readouts");
    this.zOut = new Readout(readouts, "z");
    this.logp = new Readout(readouts, "log p(z)");
    this.near = el(numbers, "div", "live-note latent-nearest");
    this.sliders = {};
    this.bindPointer(canvas);
    canvas.addEventListener("keydown", (e) => this.key(e));
  }

  build(data) {
    for (const name of NAMES) {
      const r = data.ranges[name];
      this.sliders[name] = new Slider(this.controls, {
        name, label: data.text[name], aria: data.text[`${name}_aria`], min: r.lo, max: r.hi, step: r.step,
        value: data.values[name], color: CURRENT,
        onInput: (v) => { this.values[name] = v; this.dragging = true; this.plot.invalidate(); },
        onRelease: () => this.release(),
      });
    }
  }

  update(data) {
    this.data = data;
    if (!this.values) this.build(data);
    const { text } = data;
    for (const name of NAMES) this.sliders[name].setLabel(text[name], text[`${name}_aria`]);
    this.plot.canvas.setAttribute("aria-label", text.pad_aria);
    this.zOut.setLabel(text.z_label);
    this.logp.setLabel(text.logp_label);
    this.digit.label(text.decoded_caption, text.digit_aria);
    const incoming = { z1: data.values.z1, z2: data.values.z2 };
    if (!this.dragging && (!this.values || NAMES.some((n) => this.values[n] !== incoming[n]))) {
      this.values = incoming;
      for (const name of NAMES) this.sliders[name].set(incoming[name]);
    }
    if (!this.model) this.status.textContent = text.loading;
    this.plot.invalidate();
  }

  setZ(z1, z2) {
    this.values = { z1: round2(z1), z2: round2(z2) };
    for (const name of NAMES) this.sliders[name].set(this.values[name]);
    this.plot.invalidate();
  }

  release(extra = {}) {
    this.dragging = false;
    clearTimeout(this.keyTimer);
    this.plot.invalidate();
    this.report({ ...this.values, ...extra });
  }

  bindPointer(canvas) {
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    canvas.addEventListener("pointerdown", (e) => {
      if (!this.panel || (e.pointerType === "mouse" && e.button !== 0)) return;
      e.preventDefault();
      canvas.focus({ preventScroll: true, focusVisible: false }); // arrow keys work after a drag
      canvas.setPointerCapture(e.pointerId);
      const [px, py] = at(e);
      this.press = { id: e.pointerId, px, py, moved: false };
      this.dragging = true;
      this.setZ(...this.panel.invert(px, py));
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.press || e.pointerId !== this.press.id) return;
      const [px, py] = at(e);
      if (Math.hypot(px - this.press.px, py - this.press.py) >= CLICK_PX) this.press.moved = true;
      this.setZ(...this.panel.invert(px, py));
    });
    const end = (e) => {
      if (!this.press || e.pointerId !== this.press.id) return;
      const { moved, px, py } = this.press;
      this.press = null;
      const dot = moved || e.type === "pointercancel" ? -1 : this.dotAt(px, py);
      if (dot >= 0) {
        this.setZ(...this.codes.mu[dot]);
        this.release({ clicked: dot });
      } else {
        this.release();
      }
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /** The holdout digit whose dot is nearest to a canvas point, if within DOT_PX; else −1. */
  dotAt(px, py) {
    if (!this.codes) return -1;
    let best = -1, bestD = DOT_PX;
    this.codes.mu.forEach(([x, y], i) => {
      const d = Math.hypot(this.panel.px(x) - px, this.panel.py(y) - py);
      if (d < bestD) { best = i; bestD = d; }
    });
    return best;
  }

  key(e) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const m = moves[e.key];
    if (!m || !this.values) return;
    e.preventDefault();
    const step = e.shiftKey ? KEY_STEP_BIG : KEY_STEP;
    this.dragging = true;
    this.setZ(this.values.z1 + m[0] * step, this.values.z2 + m[1] * step);
    clearTimeout(this.keyTimer);
    this.keyTimer = setTimeout(() => this.release(), KEY_REST_MS); // holding a key is one gesture
  }

  render(g) {
    const { text, palette, marks } = this.data;
    const { z1, z2 } = this.values;
    const panel = (this.panel = this.mapPanel(g, MAP_MAX));
    drawLatentMap(panel, this.codes, palette);
    if (this.codes) {
      this.drawPath(panel, marks.from, marks.to);
      const [[cx, cy], half] = marks.box;
      panel.clip();
      const sd = this.codes.sigma[marks.idx], mu = this.codes.mu[marks.idx];
      for (const r of [1, 2]) panel.ellipse(mu[0], mu[1], r * sd[0], r * sd[1], { color: palette.q, width: 2 });
      panel.segment(cx - half, cy - half, cx + half, cy - half, { color: palette.posterior, width: 1.5, dash: [2, 3] });
      panel.segment(cx + half, cy - half, cx + half, cy + half, { color: palette.posterior, width: 1.5, dash: [2, 3] });
      panel.segment(cx + half, cy + half, cx - half, cy + half, { color: palette.posterior, width: 1.5, dash: [2, 3] });
      panel.segment(cx - half, cy + half, cx - half, cy - half, { color: palette.posterior, width: 1.5, dash: [2, 3] });
      panel.unclip();
    }
    star(panel, z1, z2, { stroke: g.theme.dark ? "#fff" : "#000" });

    this.zOut.set(`(${fmt(z1, 2)}, ${fmt(z2, 2)})`);
    this.logp.set(fmt(logPriorDensity([z1, z2]), 2));
    if (!this.model) return "loading";
    const signature = this.digit.show(this.model, [z1, z2]);
    const near = this.nearest(z1, z2);
    this.near.textContent = text.nearest.replace("{idx}", near.i).replace("{label}", this.codes.labels[near.i])
      .replace("{dist}", fmt(near.d, 2));
    return signature;
  }

  nearest(z1, z2) {
    let i = 0, d = Infinity;
    this.codes.mu.forEach(([x, y], j) => {
      const dj = Math.hypot(x - z1, y - z2);
      if (dj < d) { d = dj; i = j; }
    });
    return { i, d };
  }

  destroy() {
    clearTimeout(this.keyTimer);
    for (const slider of Object.values(this.sliders)) slider.destroy();
    this.plot.destroy();
  }
}

// --- the interpolation --------------------------------------------------------------------------
class PathView extends LatentBase {
  constructor(root) {
    super(root, "path");
    this.t = 0;
    this.direction = 1;
    this.plot = new Plot(this.figure, { height: 360, minHeight: 320, fit: true, name: "latent_path",
      render: (g) => this.render(g) });
    const digits = el(this.head, "div", "latent-digits");
    const start = new Digit(digits, "latent-end");
    this.digit = new Digit(digits);
    this.ends = [start, new Digit(digits, "latent-end")];
    const readouts = el(this.head, "div", "live-readouts latent-readouts");
    this.zOut = new Readout(readouts, "z");
    this.buttons = el(this.controls, "div", "live-buttons");
    this.play = button(this.buttons, "▶", () => this.player.toggle(), { className: "latent-play" });
    this.note = el(this.controls, "div", "live-note latent-reduced");
    // start → end → start …, never reports; reduced motion: the button is off, the end frames shown
    this.player = new Player({ frame: (now, dt) => this.advance(dt), changed: () => this.showPlay() });
    this.reduced = reducedMotion();
    this.wrap.classList.toggle("latent-reduced-motion", this.reduced);
  }

  build(data) {
    const { text } = data;
    this.speed = new Slider(this.controls, {
      name: "speed", label: text.speed, aria: text.speed_aria, min: 0.25, max: 3, step: 0.25, value: 1,
      format: (v) => `${v.toFixed(2)}×`, onInput: () => {}, onRelease: () => {},
    });
    this.scrub = new Slider(this.controls, {
      name: "t", label: "t", aria: text.t_aria, min: 0, max: 1, step: 0.01, value: 0, color: CURRENT,
      onInput: (v) => { this.player.stop(); this.t = v; this.plot.invalidate(); }, onRelease: () => {},
    });
  }

  update(data) {
    const first = !this.data;
    const moved = !first && (data.path.from !== this.data.path.from || data.path.to !== this.data.path.to);
    this.data = data;
    if (first) this.build(data);
    const { text } = data;
    this.plot.setLabel(text.path_aria);
    this.speed.setLabel(text.speed, text.speed_aria);
    this.scrub.setLabel("t", text.t_aria);
    this.ends[0].label(text.start_frame, text.start_frame);
    this.ends[1].label(text.end_frame, text.end_frame);
    this.digit.label(text.path_caption, text.digit_aria);
    this.zOut.setLabel(text.z_label);
    this.note.textContent = this.reduced ? text.reduced_note : "";
    this.play.disabled = this.reduced;
    if (moved) { this.t = 0; this.direction = 1; this.scrub.set(0); }
    this.showPlay();
    if (!this.model) this.status.textContent = text.loading;
    this.plot.invalidate();
  }

  showPlay() {
    const { text } = this.data;
    const playing = this.player.playing;
    this.play.textContent = playing ? `⏸ ${text.pause}` : `▶ ${text.play}`;
    this.play.setAttribute("aria-label", playing ? text.pause_aria : text.play_aria);
    this.play.setAttribute("aria-pressed", String(playing));
  }

  /** Advance t by one frame's time (dt ms): start → end → start …, at the chosen speed. */
  advance(dt) {
    this.t += (this.direction * this.speed.value * dt) / (1000 * PATH_SECONDS);
    if (this.t >= 1) { this.t = 2 - this.t; this.direction = -1; }
    if (this.t <= 0) { this.t = -this.t; this.direction = 1; }
    this.t = Math.min(1, Math.max(0, this.t));
    this.scrub.set(Number(this.t.toFixed(2)));
    this.plot.invalidate();
  }

  render(g) {
    const { palette, path } = this.data;
    const panel = this.mapPanel(g, 400);
    drawLatentMap(panel, this.codes, palette, { dim: true });
    if (!this.codes || !this.model) return "loading";
    this.drawPath(panel, path.from, path.to);
    const a = this.codes.mu[path.from], b = this.codes.mu[path.to];
    const z = [a[0] + this.t * (b[0] - a[0]), a[1] + this.t * (b[1] - a[1])];
    star(panel, z[0], z[1], { stroke: g.theme.dark ? "#fff" : "#000" });
    this.zOut.set(`(${fmt(z[0], 2)}, ${fmt(z[1], 2)})`);
    if (this.reduced) { this.ends[0].show(this.model, a); this.ends[1].show(this.model, b); }
    return this.digit.show(this.model, z);
  }

  destroy() {
    this.player.destroy();
    this.speed.destroy();
    this.scrub.destroy();
    this.plot.destroy();
  }
}

export function mount(component) {
  const View = viewData(component).mode === "path" ? PathView : PadView;
  return mountOnce(component, (root) => new View(root));
}
