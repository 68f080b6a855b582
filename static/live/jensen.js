// Live view of part 1 of the ELBO page: Jensen's inequality (the box before 1.4.1.2, eq. 1.4.5).
// λ, x₁, x₂ (two-point X) or σ (log-normal X) move the chord, f(E[X]) (blue), E[f(X)] (orange)
// and the gap (red) every frame, for whichever f the page chose (log and √x concave, −log and x²
// convex). Closed forms in jensen_math.js. On release the values go to Python once. ui/live/elbo.py
// sends the data; tests/browser/test_live_elbo.py holds the numbers equal to vae_core.jensen.

import { Plot } from "./plot.js";
import { fmt, niceCeil } from "./format.js";
import { mountOnce } from "./mount.js";
import { Readout, el } from "./controls.js";
import { HeldRange, SliderView } from "./slider_view.js";
import { gap, isConvex, fValue, lognormal, lognormalPdf, lognormalQ99, twoPoint } from "./jensen_math.js";
import { marker, textBg } from "./elbo_common.js";

const NAMES = ["lam", "x1", "x2", "lnsigma"];
const SHOWN = { two: ["lam", "x1", "x2"], lognormal: ["lnsigma"] };
const N_CURVE = 240;
const LO = 0.03; // the curve starts just right of 0 (log x → −∞ at 0)

class JensenView extends SliderView {
  constructor(root) {
    super();
    this.x = new HeldRange();
    this.y = new HeldRange();
    this.yDist = new HeldRange();
    const wrap = el(root, "div", "live-root");
    this.controls = el(wrap, "div", "live-controls");
    const figure = el(wrap, "div", "live-figure");
    const readouts = el(figure, "div", "live-readouts");
    this.readouts = [new Readout(readouts, "f(E[X])"), new Readout(readouts, "E[f(X)]"),
      new Readout(readouts, "|E[f(X)] − f(E[X])|")];
    this.note = el(figure, "div", "live-note");
    this.plot = new Plot(figure, { height: 430, minHeight: 300, fit: true, name: "jensen", render: (g) => this.render(g) });
  }

  build(data) {
    const { text, palette } = data;
    for (const name of NAMES) this.addSlider(this.controls, data, name, { label: text[name], aria: text[`${name}_aria`], color: palette.gap });
  }

  update(data) {
    const before = this.data;
    const changed = super.update(data);
    for (const name of NAMES) {
      this.sliders[name].setLabel(data.text[name], data.text[`${name}_aria`]);
      this.sliders[name].root.style.display = SHOWN[data.dist].includes(name) ? "" : "none";
    }
    if (changed || !before || before.f !== data.f || before.dist !== data.dist) this.refit = true;
    this.plot.setLabel(data.text.jensen_chart_aria);
  }

  /** [E[X], f(E[X]), E[f(X)]] for the current state (jensen_math.js). */
  result() {
    const { f, dist } = this.data;
    const v = this.values;
    return dist === "two" ? twoPoint(f, v.x1, v.x2, v.lam) : lognormal(f, v.lnsigma);
  }

  render(g) {
    const { f, dist, text, palette } = this.data;
    const v = this.values;
    const th = g.theme;
    const grow = this.takeRefit();
    const res = this.result();
    const [mean, fOfMean, meanOfF] = res;
    const jgap = gap(res);
    this.readouts[0].set(fmt(fOfMean));
    this.readouts[1].set(fmt(meanOfF));
    this.readouts[2].set(fmt(jgap));
    this.note.textContent = isConvex(f) ? text.relation_convex : text.relation_concave;

    // x: the two-point window is fixed; the log-normal one reaches X's 99 % quantile.
    const hi = dist === "two" ? 6.2 : Math.max(3.0, lognormalQ99(v.lnsigma));
    this.x.fit(0, hi, { grow });
    const xs = new Float64Array(N_CURVE), ys = new Float64Array(N_CURVE);
    let cMin = Infinity, cMax = -Infinity;
    for (let i = 0; i < N_CURVE; i++) {
      xs[i] = LO + ((this.x.hi - LO) * i) / (N_CURVE - 1);
      ys[i] = fValue(f, xs[i]);
      if (xs[i] <= hi) { cMin = Math.min(cMin, ys[i]); cMax = Math.max(cMax, ys[i]); }
    }
    // Keep both points readable when x² has a long right tail (the y-axis stops at 3 × the larger).
    const yTop = Math.min(cMax, 3.0 * Math.max(meanOfF, fOfMean, 1.0));
    const pad = 0.05 * (yTop - cMin);
    this.y.fit(cMin - pad, yTop + pad, { grow });

    let distXs, distYs;
    if (dist === "two") {
      distXs = [v.x1, v.x2];
      distYs = [v.lam, 1 - v.lam];
      this.yDist.fit(0, 1.05, { grow });
    } else {
      distXs = xs;
      distYs = Array.from(xs, (x) => lognormalPdf(x, v.lnsigma));
      this.yDist.fit(0, niceCeil(Math.max(...distYs) * 1.05), { grow });
    }

    const legend = [
      { label: text.curve, color: th.text, width: 2.5 },
      ...(dist === "two" ? [{ label: text.chord, color: palette.prior, kind: "dash", width: 1.5 }] : []),
      { label: text.dist_of_x, color: palette.prior, kind: "fill" },
      { label: text.gap.replace("{gap}", fmt(jgap)), color: palette.gap, width: 6 },
      { label: "f(E[X])", color: palette.p, kind: "marker" },
      { label: "E[f(X)]", color: palette.q, kind: "diamond" },
    ];
    const left = 62, right = 14;
    const legendH = g.legendHeight(legend, 8) + 8;
    const top = legendH + 8, xAxisH = 2 * g.fontSize + 16, gapH = 14;
    const plotH = g.height - top - xAxisH - gapH;
    const h1 = Math.round(plotH * 0.72), h2 = plotH - h1;
    const w = g.width - left - right;
    g.legend(legend, 8, 0);
    const upper = g.panel({ left, top, width: w, height: h1 }, this.x.span, this.y.span);
    const lower = g.panel({ left, top: top + h1 + gapH, width: w, height: h2 }, this.x.span, this.yDist.span);

    upper.axes({ ylabel: "f(x)", xticks: false });
    lower.axes({ ylabel: text.prob_axis, xlabel: "x", yticks: dist === "two" ? [[0, "0"], [1, "1"]] : false });

    upper.clip();
    upper.line(xs, ys, { color: th.text, width: 2.5 });
    upper.vline(mean, { color: palette.prior, width: 1, dash: [2, 3] });
    if (dist === "two") {
      const fx = [fValue(f, v.x1), fValue(f, v.x2)];
      upper.segment(v.x1, fx[0], v.x2, fx[1], { color: palette.prior, width: 1.5, dash: [6, 4] });
      [0, 1].forEach((i) => marker(g.ctx, upper.px(distXs[i]), upper.py(fx[i]),
        { size: 6 + 14 * distYs[i], color: palette.prior, stroke: null }));
    }
    upper.segment(mean, fOfMean, mean, meanOfF, { color: palette.gap, width: 6 });
    marker(g.ctx, upper.px(mean), upper.py(fOfMean), { size: 12, color: palette.p });
    marker(g.ctx, upper.px(mean), upper.py(meanOfF), { shape: "diamond", size: 12, color: palette.q });
    upper.unclip();

    lower.clip();
    if (dist === "two") {
      const barPx = Math.max(4, (0.08 / (this.x.hi - this.x.lo)) * w);
      for (let i = 0; i < 2; i++) lower.bar(distXs[i], 0, distYs[i], { color: palette.prior, widthPx: barPx });
    } else {
      lower.fill(distXs, distYs, { color: palette.prior, alpha: 0.35 });
      lower.line(distXs, distYs, { color: palette.prior, width: 1.5 });
    }
    lower.vline(mean, { color: palette.prior, width: 1, dash: [2, 3] });
    lower.unclip();
    g.text("E[X]", lower.px(mean), lower.top - 2, { color: palette.prior, align: "center", baseline: "bottom",
      bg: textBg(th) });
    return `${fmt(fOfMean)}|${fmt(meanOfF)}`;
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new JensenView(root));
}
