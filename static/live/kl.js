// Live view of the Gaussian KL page (eq. 1.4.11): four sliders for p = N(μ₁, σ₁²) and
// q = N(μ₂, σ₂²); every frame redraws both densities, the integrand p·log(p/q) with its signed area
// shaded, KL(p‖q), KL(q‖p) and the asymmetry, from the closed forms in math.js. On release the
// four values go to Python once (one rerun: URL, landscape, formula, check). ui/live/kl.py sends the
// data; tests/browser/test_live_kl.py holds the numbers equal to vae_core.gaussian.

import { Plot } from "./plot.js";
import { fmt, niceCeil } from "./format.js";
import { mountOnce } from "./mount.js";
import { Readout, el } from "./controls.js";
import { HeldRange, SliderView } from "./slider_view.js";
import { klIntegrand, klNormal, linspace, normalPdf } from "./math.js";

const NAMES = ["mu1", "sigma1", "mu2", "sigma2"];

/** The plotting grid: 120 points across the axis and 80 across each density's ±4σ (sharp peaks stay smooth). */
function xGrid(mu1, sigma1, mu2, sigma2, lo, hi) {
  const parts = [linspace(lo, hi, 120), linspace(mu1 - 4 * sigma1, mu1 + 4 * sigma1, 80),
    linspace(mu2 - 4 * sigma2, mu2 + 4 * sigma2, 80)];
  const all = Float64Array.from(parts.flatMap((a) => Array.from(a)).filter((x) => x >= lo && x <= hi));
  return all.sort();
}

function snapOut(lo, hi) {
  const step = niceCeil((hi - lo) / 8);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

class KLView extends SliderView {
  constructor(root) {
    super();
    this.x = new HeldRange();
    this.yDensity = new HeldRange();
    this.yIntegrand = new HeldRange();
    const wrap = el(root, "div", "live-root");
    this.controls = el(wrap, "div", "live-controls");
    const figure = el(wrap, "div", "live-figure");
    const readouts = el(figure, "div", "live-readouts");
    this.klPQ = new Readout(readouts, "KL(p‖q)");
    this.klQP = new Readout(readouts, "KL(q‖p)");
    this.note = el(readouts, "div", "live-note");
    this.plot = new Plot(figure, { height: 470, fit: true, name: "kl", render: (g) => this.render(g) });
  }

  build(data) {
    const { text, palette } = data;
    const groups = { mu1: text.p_header, mu2: text.q_header };
    for (const name of NAMES) {
      if (groups[name]) {
        const header = el(this.controls, "div", "live-group", groups[name]);
        header.style.color = `color-mix(in srgb, ${name === "mu1" ? palette.p : palette.q} 65%, black)`; // ≥ 4.5:1
      }
      this.addSlider(this.controls, data, name, { label: text[name], color: name.endsWith("1") ? palette.p : palette.q });
    }
  }

  update(data) {
    super.update(data);
    for (const name of NAMES) this.sliders[name].setLabel(data.text[name]);
    this.plot.setLabel(data.text.chart_aria);
  }

  render(g) {
    const { mu1, sigma1, mu2, sigma2 } = this.values;
    const { text, palette } = this.data;
    const th = g.theme;
    const grow = this.takeRefit();

    // the landscape further down follows the drag (kl_landscape.js); the release's rerun settles it
    window.dispatchEvent(new CustomEvent("live-kl-values", { detail: { mu1, sigma1, mu2, sigma2 } }));
    const klPQ = klNormal(mu1, sigma1, mu2, sigma2);
    const klQP = klNormal(mu2, sigma2, mu1, sigma1);
    this.klPQ.set(fmt(klPQ));
    this.klQP.set(fmt(klQP));
    this.note.textContent = text.asymmetry.replace("{diff}", fmt(klPQ - klQP));

    const [xlo, xhi] = snapOut(Math.min(mu1 - 4 * sigma1, mu2 - 4 * sigma2), Math.max(mu1 + 4 * sigma1, mu2 + 4 * sigma2));
    this.x.fit(xlo, xhi, { grow });
    const xs = xGrid(mu1, sigma1, mu2, sigma2, this.x.lo, this.x.hi);
    const n = xs.length;
    const p = new Float64Array(n), q = new Float64Array(n), f = new Float64Array(n);
    const fPos = new Float64Array(n), fNeg = new Float64Array(n);
    let fMin = 0, fMax = 0, fArg = 0, dMax = 0;
    for (let i = 0; i < n; i++) {
      p[i] = normalPdf(xs[i], mu1, sigma1);
      q[i] = normalPdf(xs[i], mu2, sigma2);
      f[i] = klIntegrand(xs[i], mu1, sigma1, mu2, sigma2);
      fPos[i] = Math.max(f[i], 0);
      fNeg[i] = Math.min(f[i], 0);
      if (f[i] > fMax) { fMax = f[i]; fArg = xs[i]; }
      fMin = Math.min(fMin, f[i]);
      dMax = Math.max(dMax, p[i], q[i]);
    }
    this.yDensity.fit(0, niceCeil(dMax * 1.05), { grow });
    const span = Math.max(fMax, -fMin, 1e-6);
    this.yIntegrand.fit(fMin < 0 ? -niceCeil(-fMin * 1.1) : -0.05 * span, niceCeil(Math.max(fMax, 1e-6) * 1.1), { grow });

    const legend = [
      { label: "p(x)", color: palette.p },
      { label: "q(x)", color: palette.q },
      { label: text.integrand_pos, color: palette.gap, kind: "fill" },
      { label: text.integrand_neg, color: palette.neg, kind: "fill" },
      { label: "p·log(p/q)", color: palette.gap, width: 1.5 },
    ];
    const left = 56, right = 12, top = 26, gap = 48;
    const legendH = g.legendHeight(legend, left) + 6;
    const plotH = g.height - top - gap - 46 - legendH;
    const h1 = Math.round(plotH * 0.52), h2 = plotH - h1;
    const w = g.width - left - right;
    const dens = g.panel({ left, top, width: w, height: h1 }, [this.x.lo, this.x.hi], [this.yDensity.lo, this.yDensity.hi]);
    const integ = g.panel({ left, top: top + h1 + gap, width: w, height: h2 }, [this.x.lo, this.x.hi],
      [this.yIntegrand.lo, this.yIntegrand.hi]);

    dens.axes({ title: text.fig_density, xticks: false });
    dens.clip();
    dens.line(xs, p, { color: palette.p, width: 2.5 });
    dens.line(xs, q, { color: palette.q, width: 2.5 });
    dens.unclip();

    integ.axes({ title: text.fig_integrand, xlabel: "x", zero: true });
    integ.clip();
    integ.fill(xs, fPos, { color: palette.gap, alpha: 0.45 });
    integ.fill(xs, fNeg, { color: palette.neg, alpha: 0.45 });
    integ.line(xs, f, { color: palette.gap, width: 1.5 });
    integ.unclip();
    // The area note sits in the top corner away from the integrand's peak.
    const peakRight = (fArg - this.x.lo) / (this.x.hi - this.x.lo) > 0.55;
    g.text(text.area_note.replace("{kl}", fmt(klPQ)), peakRight ? integ.left + 8 : integ.left + integ.width - 8,
      integ.top + 6, { color: palette.gap, align: peakRight ? "left" : "right", baseline: "top", bg: th.dark ? "rgba(14,17,23,0.8)" : "rgba(255,255,255,0.8)" });

    g.legend(legend, left, g.height - legendH);
    return fmt(klPQ);
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new KLView(root));
}
