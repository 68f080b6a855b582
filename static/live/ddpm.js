// Live view of the diffusion page's "Watch it draw": the shipped DDPM's reverse chain (Ho et al. 2020,
// Algorithm 2; x_{t−1} = μ_θ(x_t, t) + σ_t z) runs in the browser (ddpm_model.js), step by exact step
// from x_T ~ N(0, I) — or, "denoise from here", from the noise view's digit noised to its t with its ε —
// and shows x_t beside the network's guess x̂₀(x_t, t). Every step's two pictures are kept (2 × 784 bytes),
// so scrubbing t back and forth is instant; play resumes where the chain stopped. No step is skipped:
// each frame runs as many exact steps as fit in FRAME_BUDGET_MS, then yields to the event loop and draws.
// The weights (1.1 MB) are fetched on the first play only. ui/live/ddpm.py sends the seed, the start and
// the texts; a new seed or start reports once. tests/browser/test_live_ddpm.py holds the chain equal to
// torch's; benchmarks/ddpm_browser.py times it on a throttled CPU.

import { Plot } from "./plot.js";
import { fmt } from "./format.js";
import { decodeFloat64, mountOnce } from "./mount.js";
import { Player, reducedMotion } from "./player.js";
import { Readout, Slider, button, el } from "./controls.js";
import { TESTING } from "./instrument.js";
import { presenting } from "./presenter.js";
import { wrapLines } from "./text.js";
import { schedule } from "./noise_math.js";
import { SIDE, gaussians, loadDDPM } from "./ddpm_model.js";

const T = 1000, D = SIDE * SIDE;
const FRAME_BUDGET_MS = 10; // exact steps per frame until this much time is spent (at least one)
const REPLAY_STEPS = 8; // kept steps shown per frame when play goes over a stretch already computed
const SCHED = schedule(T, "linear"); // the model's schedule (its model card: linear, T = 1000)

/** x ∈ ℝ as a grey level: −1 white, +1 black (ink), clipped — as ui.diffusion_data.to_unit. */
const grey = (v) => Math.round(255 * Math.min(Math.max((1 - v) / 2, 0), 1));

function paint(canvas, frames, index) {
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(SIDE, SIDE), o = index * D;
  for (let i = 0; i < D; i++) {
    const v = frames[o + i];
    img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function square() {
  const c = document.createElement("canvas");
  c.width = SIDE;
  c.height = SIDE;
  return c;
}

class DdpmView {
  constructor(root) {
    this.data = null;
    this.net = null;
    this.key = null;
    const wrap = el(root, "div", "live-root");
    wrap.style.flexDirection = "column";
    wrap.style.gap = "0.5rem";
    const bar = el(wrap, "div", "live-buttons");
    bar.style.alignItems = "center";
    this.playButton = button(bar, "▶", () => this.toggle(), { className: "ddpm-play" });
    this.seedButton = button(bar, "", () => this.newSeed(), { className: "ddpm-seed" });
    this.noiseButton = button(bar, "", () => this.setStart("noise"), { className: "ddpm-from-noise" });
    this.digitButton = button(bar, "", () => this.setStart("digit"), { className: "ddpm-from-digit" });
    const row = el(wrap, "div");
    Object.assign(row.style, { display: "flex", flexWrap: "wrap", gap: "0.5rem 2rem", alignItems: "flex-end", width: "100%" });
    const holder = el(row, "div");
    holder.style.flex = "1 1 260px";
    this.slider = new Slider(holder, {
      name: "dt", label: "t", min: 0, max: T - 1, step: 1, value: 0,
      format: (v) => String(T - v),
      onInput: (v) => this.scrub(T - v),
      onRelease: () => {},
    });
    const readouts = el(row, "div", "live-readouts");
    this.tOut = new Readout(readouts, "t");
    this.seedOut = new Readout(readouts, "seed");
    this.note = el(wrap, "div", "live-note");
    this.figure = el(wrap, "div", "live-figure");
    this.figure.style.width = "100%";
    this.xt = square();
    this.x0 = square();
    this.digit = square();
    this.player = new Player({
      frame: () => this.advance(),
      end: () => this.plot.invalidate(),
      paused: () => this.plot.invalidate(),
      settle: () => this.settle(),
      changed: (playing) => {
        this.playButton.textContent = playing ? this.data.text.pause : this.data.text.play;
        this.playButton.setAttribute("aria-pressed", String(playing));
      },
    });
    this.plot = new Plot(this.figure, { height: 300, minHeight: 240, fit: true, name: "ddpm", render: (g) => this.render(g) });
  }

  update(data) {
    this.data = data;
    const { text } = data;
    const from = data.start === "digit" ? `${data.t_from}|${data.bits}|${data.eps.slice(0, 24)}` : "";
    const key = `${data.seed}|${data.start}|${from}`;
    if (key !== this.key) {
      this.key = key;
      this.seed = data.seed;
      this.start = data.start;
      this.reset();
    }
    this.playButton.textContent = this.player.playing ? text.pause : text.play;
    this.seedButton.textContent = text.new_seed;
    this.noiseButton.textContent = text.from_noise;
    this.digitButton.textContent = text.from_digit.replace("{t}", String(data.t_from));
    this.noiseButton.setAttribute("aria-pressed", String(this.start === "noise"));
    this.digitButton.setAttribute("aria-pressed", String(this.start === "digit"));
    this.slider.setLabel(text.t, text.t_aria);
    this.seedOut.setLabel(text.seed);
    this.plot.setLabel(text.chart_aria);
    this.plot.invalidate();
  }

  /** A fresh trajectory for (seed, start): x at its first t, nothing computed yet. */
  reset() {
    this.player.stop();
    const data = this.data;
    this.gen = gaussians(this.seed);
    this.x = new Float64Array(D);
    this.z = new Float64Array(D);
    if (this.start === "digit") {
      this.t0 = Math.max(1, Math.min(T, data.t_from));
      const bits = data.bits, eps = decodeFloat64(data.eps);
      const a = Math.sqrt(SCHED.alphaBar[this.t0]), b = Math.sqrt(SCHED.oneMinusAlphaBar[this.t0]);
      for (let i = 0; i < D; i++) {
        const x0 = bits[i] === "1" ? 1 : -1;
        this.x[i] = a * x0 + b * eps[i];
      }
      this.paintDigit(bits);
    } else {
      this.t0 = T;
      this.gen.fill(this.x);
    }
    this.frontier = this.t0; // the smallest t whose x_t is known
    this.guessed = this.t0 + 1; // the smallest t whose x̂₀ is known (none yet)
    this.xtFrames = new Uint8ClampedArray((T + 1) * D);
    this.x0Frames = new Uint8ClampedArray((T + 1) * D);
    this.keepXt(this.t0, this.x);
    this.pos = this.t0;
    this.steps = 0;
    this.stepMs = 0;
    this.slider.set(T - this.pos);
    this.tOut.set(String(this.pos));
    this.seedOut.set(String(this.seed));
  }

  paintDigit(bits) {
    const ctx = this.digit.getContext("2d"), img = ctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < D; i++) {
      const v = bits[i] === "1" ? 0 : 255;
      img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  keepXt(t, x) {
    const o = t * D;
    for (let i = 0; i < D; i++) this.xtFrames[o + i] = grey(x[i]);
  }

  keepX0(t, x0) {
    const o = t * D;
    for (let i = 0; i < D; i++) this.x0Frames[o + i] = grey(x0[i]);
    this.guessed = t;
  }

  /** Load the network once (the first play), then run ``then``. */
  withNet(then) {
    if (this.net) { then(); return; }
    this.loading = true;
    this.plot.invalidate();
    loadDDPM().then((net) => { this.net = net; this.loading = false; then(); },
      (err) => { this.loading = false; this.error = String(err); this.plot.invalidate(); });
  }

  toggle() {
    if (this.player.playing) { this.player.toggle(); return; }
    if (this.pos <= 1) this.pos = this.t0; // at the end: play (the kept frames) again from the start
    this.withNet(() => this.player.play());
  }

  /** One exact reverse step at the frontier t: x̂₀(x_t, t) is kept for t, x_{t−1} for t − 1 (at t = 1
   * only x̂₀: the chain has ended). */
  stepOnce() {
    const t = this.frontier, began = performance.now();
    const B = t > 1 ? this.net.step(this.x, t, this.gen.fill(this.z)) : this.net.pMean(this.x, 1);
    this.keepX0(t, B.x0);
    if (t > 1) {
      this.frontier = t - 1;
      this.keepXt(t - 1, this.x);
    }
    this.steps += 1;
    this.stepMs += performance.now() - began;
    if (TESTING) {
      window.__ddpmFirstStep ||= began;
      (window.__ddpmSteps ||= []).push(performance.now() - began);
    }
  }

  /** A frame of play: replay kept frames (REPLAY_STEPS a frame), or run new exact steps for up to
   * FRAME_BUDGET_MS, then yield. False once t = 1 is shown. */
  advance() {
    if (this.pos > this.guessed) this.pos = Math.max(this.guessed, this.pos - REPLAY_STEPS);
    else {
      const began = performance.now();
      do this.stepOnce(); while (this.guessed > 1 && performance.now() - began < FRAME_BUDGET_MS);
      this.pos = this.guessed;
    }
    this.slider.set(T - this.pos);
    this.plot.invalidate();
    return this.pos > 1;
  }

  /** Reduced motion: the finished picture, computed in chunks (the page stays responsive), no animation. */
  settle() {
    this.withNet(() => {
      const chunk = () => {
        if (this.destroyed) return;
        const began = performance.now();
        while (this.guessed > 1 && performance.now() - began < 30) this.stepOnce();
        if (this.guessed > 1) { setTimeout(chunk, 0); return; }
        this.pos = 1;
        this.slider.set(T - 1);
        this.plot.invalidate();
      };
      chunk();
    });
  }

  /** The slider: any t the chain has reached (the rest of the way is play's). */
  scrub(t) {
    this.player.stop();
    this.pos = Math.min(this.t0, Math.max(t, Math.min(this.guessed, this.t0)));
    if (this.pos !== t) this.slider.set(T - this.pos);
    this.plot.invalidate();
  }

  newSeed() {
    this.seed = (this.seed + 1) % 2147483648;
    this.reset();
    this.plot.invalidate();
    this.report({ dseed: this.seed, dstart: this.start });
  }

  setStart(start) {
    if (start === this.start) return;
    this.start = start;
    this.reset();
    this.plot.invalidate();
    this.report({ dseed: this.seed, dstart: start });
  }

  render(g) {
    const { text } = this.data;
    const th = g.theme;
    const t = this.pos;
    this.tOut.set(String(t));
    const digit = this.start === "digit";
    const n = digit ? 3 : 2, gap = 16, top = 8, line = Math.round(g.fontSize * 1.25);
    const side = Math.max(60, Math.min(Math.floor((g.width - (n - 1) * gap - 8) / n), 300));
    g.ctx.font = g.font();
    const captionLines = (str) => wrapLines(g.ctx, str, side + gap - 4);
    const left0 = Math.max(4, Math.floor((g.width - (n * side + (n - 1) * gap)) / 2));
    const box = (i) => ({ left: left0 + i * (side + gap), top, width: side, height: side });
    const haveGuess = t >= this.guessed;
    paint(this.xt, this.xtFrames, t);
    const panels = [[this.xt, text.xt_caption.replace("{t}", String(t))]];
    if (haveGuess) { paint(this.x0, this.x0Frames, t); panels.push([this.x0, text.x0_caption.replace("{t}", String(t))]); }
    else panels.push([null, this.error || (this.loading ? text.loading : text.press_play)]);
    if (digit) panels.push([this.digit, text.digit_caption]);
    const wrapped = panels.map(([, label]) => captionLines(label));
    const rows = Math.max(...wrapped.map((w) => w.length));
    const fitted = presenting() ? Math.max(60, Math.min(side, g.height - top - rows * line - 10)) : side;
    this.plot.setHeight(top + side + rows * line + 10);
    panels.forEach(([canvas], i) => {
      const r = box(i);
      const s = fitted, rr = { left: r.left + (side - s) / 2, top, width: s, height: s };
      if (canvas) g.panel(rr, [0, SIDE], [0, SIDE]).image(canvas, 0, SIDE, 0, SIDE);
      else {
        g.ctx.strokeStyle = "rgba(128,128,128,0.5)";
        g.ctx.strokeRect(rr.left + 0.5, rr.top + 0.5, rr.width - 1, rr.height - 1);
      }
      wrapped[i].forEach((str, k) => {
        g.text(str, r.left + side / 2, top + s + line * (k + 1), { color: canvas ? th.text : th.muted, align: "center" });
      });
    });
    const perStep = this.steps ? this.stepMs / this.steps : 0;
    const done = this.guessed <= 1;
    this.note.textContent = (done ? text.done : text.exact).replace("{steps}", String(this.steps))
      .replace("{ms}", fmt(perStep, 1));
    if (TESTING) {
      this.figure.dataset.state = JSON.stringify({ t, frontier: this.frontier, guessed: this.guessed, t0: this.t0,
        seed: this.seed, start: this.start, steps: this.steps, playing: this.player.playing, loaded: Boolean(this.net),
        reduced: reducedMotion() });
    }
    return `${this.seed}|${this.start}|${t}|${haveGuess}`;
  }

  destroy() {
    this.destroyed = true;
    this.player.destroy();
    this.slider.destroy();
    this.plot.destroy();
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new DdpmView(root));
}
