// Live view of the diffusion page's "Noise your own digit": a slider for the step t; every frame
// computes x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε for all 784 pixels in the browser (Ho et al. 2020, eq. 4;
// ᾱ_t from noise_math.js, mirroring vae_core.diffusion.make_schedule), draws the digit, the histogram
// of its pixel values against q(x_t|x₀) pooled over pixels and N(0, 1), and reads out ᾱ_t and the
// signal-to-noise ratio ᾱ_t/(1 − ᾱ_t). x₀ (as 0/1 characters) and one seeded ε (base64 float64) come
// once per rerun from ui/live/noise.py; a release reports t once. tests/browser/test_live_noise.py
// holds the numbers equal to vae_core and ui.diffusion_data.

import { Plot } from "./plot.js";
import { fmt } from "./format.js";
import { decodeFloat64, mountOnce } from "./mount.js";
import { Readout, el } from "./controls.js";
import { SliderView } from "./slider_view.js";
import { noised, schedule } from "./noise_math.js";

const SIDE = 28, LO = -4, HI = 4, BIN = 0.2, NBINS = Math.round((HI - LO) / BIN);

function snrText(ab, omab) {
  if (omab === 0) return "∞";
  const v = ab / omab;
  return v >= 1e4 || v < 1e-3 ? v.toExponential(2).replace("-", "−") : fmt(v, v >= 100 ? 1 : 3);
}

class NoiseView extends SliderView {
  constructor(root) {
    super();
    const wrap = el(root, "div", "live-root");
    this.controls = el(wrap, "div", "live-controls");
    const figure = el(wrap, "div", "live-figure");
    const readouts = el(figure, "div", "live-readouts");
    this.abOut = new Readout(readouts, "ᾱ_t");
    this.snrOut = new Readout(readouts, "SNR");
    this.pixels = document.createElement("canvas");
    this.pixels.width = SIDE;
    this.pixels.height = SIDE;
    this.key = null;
    this.plot = new Plot(figure, { height: 300, minHeight: 220, fit: true, name: "noise", render: (g) => this.render(g) });
  }

  build(data) {
    this.addSlider(this.controls, data, "t", { label: data.text.t, color: data.palette.p });
  }

  update(data) {
    const key = `${data.kind}|${data.bits}|${data.eps.slice(0, 24)}`;
    if (key !== this.key) {
      this.key = key;
      this.sched = schedule(data.T, data.kind);
      this.x0 = Float64Array.from(data.bits, (c) => (c === "1" ? 1 : -1));
      this.eps = decodeFloat64(data.eps);
      this.ink = this.x0.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / this.x0.length;
    }
    super.update(data);
    this.sliders.t.setLabel(data.text.t);
    this.abOut.setLabel(data.text.ab_label);
    this.snrOut.setLabel(data.text.snr_label);
    this.plot.setLabel(data.text.chart_aria);
  }

  render(g) {
    const { text, palette } = this.data;
    const t = Math.round(this.values.t);
    const ab = this.sched.alphaBar[t], omab = this.sched.oneMinusAlphaBar[t];
    const x = noised(this.x0, this.eps, ab, omab);
    this.abOut.set(fmt(ab));
    this.snrOut.set(snrText(ab, omab));

    // the digit: −1 white, +1 black, clipped
    const ctx = this.pixels.getContext("2d");
    const img = ctx.createImageData(SIDE, SIDE);
    const counts = new Float64Array(NBINS);
    for (let i = 0; i < x.length; i++) {
      const grey = Math.round(255 * Math.min(Math.max((1 - x[i]) / 2, 0), 1));
      img.data.set([grey, grey, grey, 255], 4 * i);
      const b = Math.floor((x[i] - LO) / BIN);
      if (b >= 0 && b < NBINS) counts[b] += 1;
    }
    ctx.putImageData(img, 0, 0);

    const legend = [
      { label: text.hist_pixels, color: palette.p, kind: "fill" },
      { label: text.hist_law, color: palette.q, width: 2 },
      { label: "N(0, 1)", color: palette.prior, width: 1.5, kind: "dash" },
    ];
    const top = 22, bottom = 40, gap = 28;
    const side = Math.max(80, Math.min(g.height - top - bottom, Math.floor(g.width * 0.36)));
    const histLeft = side + gap + 44;
    const legendH = g.legendHeight(legend, histLeft) + 4;
    const digit = g.panel({ left: 4, top, width: side, height: side }, [0, SIDE], [0, SIDE]);
    digit.image(this.pixels, 0, SIDE, 0, SIDE);
    g.text(text.xt_caption.replace("{t}", String(t)), 4, top + side + 18, { color: g.theme.text });

    const density = counts.map((c) => c / (x.length * BIN));
    const grid = new Float64Array(161), law = new Float64Array(161), prior = new Float64Array(161);
    let yMax = 0.5;
    for (let i = 0; i < 161; i++) {
      const v = LO + (i * (HI - LO)) / 160;
      grid[i] = v;
      prior[i] = Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
      law[i] = omab > 1e-4 ? (this.ink * Math.exp(-((v - Math.sqrt(ab)) ** 2) / (2 * omab))
        + (1 - this.ink) * Math.exp(-((v + Math.sqrt(ab)) ** 2) / (2 * omab))) / Math.sqrt(2 * Math.PI * omab) : NaN;
    }
    for (const d of density) yMax = Math.max(yMax, d);
    yMax = Math.min(yMax * 1.05, 3);
    const width = Math.max(60, g.width - histLeft - 8);
    const hist = g.panel({ left: histLeft, top: top + legendH, width, height: g.height - top - legendH - bottom },
      [LO, HI], [0, yMax]);
    hist.axes({ xlabel: "x_t", ylabel: text.hist_axis });
    hist.clip();
    const barPx = Math.max(1, hist.px(LO + BIN) - hist.px(LO) - 1);
    for (let b = 0; b < NBINS; b++) {
      if (density[b] > 0) hist.bar(LO + (b + 0.5) * BIN, 0, Math.min(density[b], yMax), { color: palette.p, alpha: 0.55, widthPx: barPx });
    }
    if (omab > 1e-4) hist.line(grid, law, { color: palette.q, width: 2 });
    hist.line(grid, prior, { color: palette.prior, width: 1.5, dash: [4, 3] });
    hist.unclip();
    g.legend(legend, histLeft, top - 4);
    return `${t}|${fmt(ab)}`;
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new NoiseView(root));
}
