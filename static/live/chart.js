// A fixed chart drawn by the live layer: one or more panels of lines, bands and reference lines that
// the server computed (ui/live/chart.py builds the spec; every array is the server's float64, sent
// as base64), with its legend and notes in HTML around the canvas (CSS wraps English and Chinese)
// and a vertical marker the page may move (the reparameterization sweep's k). It replaces Plotly
// figures that a release rebuilt, serialised and redrew in full although a few numbers changed
// (docs/benchmarks.md, issue 24): drawing these on a canvas costs a millisecond or two.
// Used by the Monte Carlo page (errors, IWAE, the CLT histogram as a filled step outline), the
// reparameterization page (spread, sweep), the Gaussian KL page (the landscape's colour key: a gradient
// with explicit ticks) and the diffusion page and lesson (the ledger's stacked bars, the denoising
// bars): with them those pages load no Plotly (docs/benchmarks.md "Pages without Plotly").
// tests/browser/test_live_charts.py holds what it draws equal to the server's numbers.

import { Plot } from "./plot.js";
import { adoptStyles, decodeFloat64, mountOnce } from "./mount.js";
import { el } from "./controls.js";
import { rgba } from "./theme.js";
import { TESTING } from "./instrument.js";
import { logLabel } from "./format.js";
import { presenting } from "./presenter.js";

const DASH = { dash: [6, 4], dot: [2, 3] };
// Presenter mode: text at 18 px instead of 14 (presenter.js chartFontSize), margins and height grown
// to match, as ui/plots.py _projector grew the plotly figures these replace.
const PRESENT_SCALE = 18 / 14;
const TEXT = "text"; // ui/live/chart.py TEXT: the theme's text colour (reference lines on light and dark)

/** A spec array: base64 float64 (ui.live.pack_float64) → Float64Array; a plain list as is. */
const values = (v) => (typeof v === "string" ? decodeFloat64(v) : Float64Array.from(v));

/** Runs (rows × n.length, row-major) as one polyline broken by NaN between runs. */
function gapped(n, y, rows) {
  const K = n.length;
  const x = new Float64Array(rows * (K + 1)).fill(NaN), out = new Float64Array(rows * (K + 1)).fill(NaN);
  for (let r = 0; r < rows; r++) {
    x.set(n, r * (K + 1));
    out.set(y.subarray(r * K, (r + 1) * K), r * (K + 1));
  }
  return { x, y: out };
}

/** [lo, hi] of the finite (and, on a log axis, positive) values of ``arrays``. */
function extent(arrays, log) {
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) {
    for (const v of a) {
      if (!Number.isFinite(v) || (log && !(v > 0))) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) return log ? [0.1, 1] : [0, 1];
  if (hi === lo) return log ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  return [lo, hi];
}

/** A log axis' range widened to whole decades' labels inside it: plotly's autorange stops at the data;
 *  so does this, but a range spanning less than one decade gets its decades either side. */
function logRange([lo, hi]) {
  if (Math.floor(Math.log10(hi)) - Math.ceil(Math.log10(lo)) >= 0) return [lo, hi];
  return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi))];
}

/** Plotly's labels of a log axis' decades: 1 … 1000, 10k, 100k, 1M; beyond, powers of ten. */
const decadeLabel = (k) => (k >= 4 && k <= 6 ? ["10k", "100k", "1M"][k - 4] : logLabel(k));

/** The decades of a log x axis, labelled as plotly does, every 2nd (3rd, …) one where labels would touch. */
function logXTicks(g, panel) {
  const [a, b] = panel.x; // log10 of the range
  const ks = [];
  for (let k = Math.ceil(a - 1e-9); k <= b + 1e-9; k++) ks.push(k);
  g.ctx.font = g.font();
  const widest = Math.max(...ks.map((k) => g.ctx.measureText(decadeLabel(k)).width));
  const every = Math.max(1, Math.ceil((widest + 8) / (panel.width / Math.max(b - a, 1e-9))));
  return ks.filter((k) => (k - ks[0]) % every === 0).map((k) => [10 ** k, decadeLabel(k)]);
}

// Marker symbols of a legend entry (SVG, 16×16 box), as plotly drew them: a star and a cross.
const SYMBOLS = {
  star: "M8 1.2 9.9 6 15 6.2 11 9.4 12.4 14.4 8 11.6 3.6 14.4 5 9.4 1 6.2 6.1 6Z",
  x: "M2.5 4.6 4.6 2.5 8 5.9 11.4 2.5 13.5 4.6 10.1 8 13.5 11.4 11.4 13.5 8 10.1 4.6 13.5 2.5 11.4 5.9 8Z",
};

/** A label's runs: [text, isSubscript], from plotly's markup "Q<sub>L</sub>" (the labels these charts
 *  share with the plotly figures they replaced); never parsed as HTML. */
function subParts(label) {
  return String(label ?? "").split(/<sub>(.*?)<\/sub>/).map((text, i) => [text, i % 2 === 1]).filter(([text]) => text);
}

/** Put ``label`` into ``node`` as text, its <sub> runs as <sub> elements. */
function setLabel(node, label) {
  node.replaceChildren(...subParts(label).map(([text, sub]) => {
    if (!sub) return document.createTextNode(text);
    const e = document.createElement("sub");
    e.textContent = text;
    return e;
  }));
}

/** An axis title on the canvas centred at (0, 0) of the current transform, its subscripts smaller and
 *  lowered; ``baseline`` as canvas textBaseline ("top" under an x axis, "bottom" beside a y axis). */
function axisTitle(g, label, baseline) {
  const parts = subParts(label), small = Math.round(g.fontSize * 0.75), ctx = g.ctx;
  const width = (text, sub) => { ctx.font = g.font(sub ? small : g.fontSize); return ctx.measureText(text).width; };
  let x = -parts.reduce((w, [text, sub]) => w + width(text, sub), 0) / 2;
  for (const [text, sub] of parts) {
    const dy = sub ? (baseline === "top" ? g.fontSize * 0.45 : g.fontSize * 0.2) : 0;
    g.text(text, x, dy, { color: g.theme.muted, size: sub ? small : undefined, baseline });
    x += width(text, sub);
  }
}

/** An HTML legend swatch: a short line (solid, dashed, dotted), a filled box (with an outline) or a marker. */
function swatch(parent, item) {
  const s = el(parent, "span", "live-chart-swatch");
  const color = item.color === TEXT ? "var(--st-text-color, #222)" : item.color;
  if (item.kind === "marker") {
    s.classList.add("live-chart-marker");
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", SYMBOLS[item.symbol] || SYMBOLS.x);
    path.setAttribute("fill", color);
    path.setAttribute("stroke", item.line || "#000");
    path.setAttribute("stroke-width", "1");
    svg.appendChild(path);
    s.appendChild(svg);
  } else if (item.kind === "fill") {
    s.style.background = item.alpha === undefined || item.alpha === null ? item.color : rgba(item.color, item.alpha);
    s.style.height = "10px";
    if (item.line) s.style.border = `1px solid ${item.line}`;
  } else {
    s.style.borderTop = `${Math.max(1, Math.round(item.width || 2))}px ${item.dash === "dot" ? "dotted" : item.dash ? "dashed" : "solid"} ${color}`;
  }
}

/** A histogram as one filled step outline (plotly's line shape "hv" with fill "tozeroy"): x holds
 *  the n + 1 bin edges, y the n heights; filled down to zero, outlined up, across and down. */
function steps(g, panel, t, colour) {
  const ctx = g.ctx, n = t.y.length;
  ctx.save();
  ctx.beginPath();
  ctx.moveTo(panel.px(t.x[0]), panel.py(0));
  for (let i = 0; i < n; i++) {
    ctx.lineTo(panel.px(t.x[i]), panel.py(t.y[i]));
    ctx.lineTo(panel.px(t.x[i + 1]), panel.py(t.y[i]));
  }
  ctx.lineTo(panel.px(t.x[n]), panel.py(0));
  if (t.fill) { ctx.fillStyle = colour(t.fill); ctx.fill(); }
  ctx.strokeStyle = colour(t.color);
  ctx.lineWidth = t.width ?? 1;
  ctx.stroke();
  ctx.restore();
}

class ChartView {
  constructor(root) {
    adoptStyles(root, "chart.css");
    this.wrap = el(root, "div", "live-chart");
    this.title = el(this.wrap, "div", "live-chart-title");
    this.legendTop = el(this.wrap, "div", "live-chart-legend");
    this.stage = el(this.wrap, "div", "live-chart-stage");
    this.legendBottom = el(this.wrap, "div", "live-chart-legend");
    this.plot = new Plot(this.stage, { height: 400, name: "chart", render: (g) => this.render(g) });
    this.notes = [];
  }

  update(data) {
    if (data !== this.data) {
      this.data = data;
      this.panels = data.panels.map((p) => ({
        ...p,
        traces: p.traces.map((t) => (t.rows ? { ...t, ...gapped(values(t.x), values(t.y), t.rows) }
          : t.kind === "gradient" ? { ...t, x: Float64Array.of(t.lo, t.hi), y: new Float64Array(0) }
            : { ...t, x: values(t.x), y: values(t.y), y0: t.y0 === undefined || t.y0 === null ? undefined : values(t.y0) })),
      }));
      this.panels.forEach((p) => this.fit(p));
      this.plot.opts.name = data.name;
      this.sizeFor(presenting());
      this.plot.setLabel(data.aria || "");
      this.title.textContent = data.title || "";
      this.title.hidden = !data.title;
      const top = data.legend_at !== "bottom";
      for (const [box, on] of [[this.legendTop, top], [this.legendBottom, !top]]) {
        box.replaceChildren();
        box.hidden = !on || !data.legend.length;
        if (!on) continue;
        box.classList.toggle("live-chart-legend-2", data.legend_columns === 2);
        box.classList.toggle("live-chart-legend-1", data.legend_columns === 1);
        for (const item of data.legend) {
          const row = el(box, "span", "live-chart-item");
          swatch(row, item);
          setLabel(el(row, "span"), item.label);
        }
      }
      this.notes.forEach((n) => n.remove());
      this.notes = this.panels.flatMap((p) => (p.notes || []).map((note) => {
        const div = el(this.stage, "div", "live-chart-note");
        div.textContent = note.text;
        return { div, panel: p, note, remove: () => div.remove() };
      }));
    }
    this.plot.invalidate();
  }

  /** The axes' ranges: the server's where it gave one, else the data's extent (as plotly's autorange for lines). */
  fit(p) {
    for (const [axis, key] of [[p.x, "x"], [p.y, "y"]]) {
      if (axis.range) { axis.span = axis.range; continue; }
      const arrays = p.traces.flatMap((t) => (key === "y" && t.y0 ? [t.y, t.y0] : [t[key]]));
      if (axis.zero) arrays.push([0]);
      if (key === "y") for (const s of p.shapes || []) if (s.kind === "hline") arrays.push([s.y]);
      const span = extent(arrays, axis.log);
      axis.span = axis.log ? logRange(span) : span;
    }
  }

  /** The canvas height: the spec's, grown in presenter mode (which may begin after the first draw). */
  sizeFor(present) {
    this.present = present;
    this.plot.setHeight(present ? Math.round(this.data.height * (1 + (PRESENT_SCALE - 1) / 2)) : this.data.height);
  }

  render(g) {
    if (presenting() !== this.present) this.sizeFor(presenting()); // redraws at the next frame
    const scale = presenting() ? PRESENT_SCALE : 1;
    const margin = Object.fromEntries(Object.entries(this.data.margin).map(([k, v]) => [k, Math.round(v * scale)]));
    const inner = { left: margin.l, top: margin.t, width: g.width - margin.l - margin.r, height: g.height - margin.t - margin.b };
    const colour = (c) => (c === TEXT ? g.theme.text : c);
    let drawn = 0;
    this.panels.forEach((p) => {
      const [a, b] = p.domain || [0, 1];
      const rect = { left: inner.left + a * inner.width, top: inner.top, width: (b - a) * inner.width, height: inner.height };
      const panel = g.panel(rect, p.x.span, p.y.span, { xlog: p.x.log, ylog: p.y.log });
      p.rect = rect;
      const explicit = (axis) => (axis.hidden ? false : axis.ticks || null);
      panel.axes({
        title: p.title, xgrid: !p.x.hidden && p.x.grid !== false, ygrid: !p.y.hidden,
        xticks: explicit(p.x) ?? (p.x.log ? logXTicks(g, panel) : true), yticks: explicit(p.y) ?? true, zero: !!p.y.zero,
      });
      panel.clip();
      for (const s of p.shapes || []) {
        if (s.kind === "hband") {
          g.ctx.save();
          g.ctx.fillStyle = rgba(colour(s.color), s.alpha ?? 0.08);
          const y0 = panel.py(s.y0), y1 = panel.py(s.y1);
          g.ctx.fillRect(rect.left, Math.min(y0, y1), rect.width, Math.abs(y1 - y0));
          g.ctx.restore();
        }
      }
      for (const t of p.traces) {
        if (t.kind === "gradient") {
          const grad = g.ctx.createLinearGradient(panel.px(t.lo), 0, panel.px(t.hi), 0);
          for (const [at, c] of t.stops) grad.addColorStop(at, c);
          g.ctx.save();
          g.ctx.fillStyle = grad;
          g.ctx.fillRect(panel.px(t.lo), rect.top, panel.px(t.hi) - panel.px(t.lo), rect.height);
          g.ctx.restore();
          continue;
        }
        if (t.kind === "steps") { steps(g, panel, t, colour); drawn += t.x.length; continue; }
        if (t.kind === "bars") {
          for (let i = 0; i < t.x.length; i++) {
            const base = t.y0 ? t.y0[i] : 0;
            const x0 = panel.px(t.x[i] - t.width / 2), x1 = panel.px(t.x[i] + t.width / 2);
            const top = Math.min(panel.py(base), panel.py(t.y[i])), h = Math.abs(panel.py(base) - panel.py(t.y[i]));
            g.ctx.save();
            g.ctx.fillStyle = colour(t.color);
            g.ctx.fillRect(x0, top, x1 - x0, h);
            g.ctx.restore();
          }
          drawn += t.x.length;
          continue;
        }
        if (t.kind === "band") panel.band(t.x, t.y0, t.y, { color: colour(t.color), alpha: t.alpha ?? 0.2 });
        else panel.line(t.x, t.y, { color: colour(t.color), width: t.width ?? 2, dash: DASH[t.dash] });
        drawn += t.x.length;
      }
      for (const s of p.shapes || []) {
        if (s.kind === "hline") panel.hline(s.y, { color: colour(s.color), width: s.width ?? 1.5, dash: DASH[s.dash] });
        if (s.kind === "vline") panel.vline(s.x, { color: colour(s.color), width: s.width ?? 1.5, dash: DASH[s.dash] });
      }
      panel.unclip();
      // axis titles as Panel.axes places them, with plotly's <sub> markup drawn as subscripts
      const ticked = !p.x.hidden;
      if (p.x.title) {
        g.ctx.save();
        g.ctx.translate(rect.left + rect.width / 2, rect.top + rect.height + (ticked ? 8 + g.fontSize : 6));
        axisTitle(g, p.x.title, "top");
        g.ctx.restore();
      }
      if (p.y.title) {
        g.ctx.save();
        // the first panel's at the margin's outer edge (as plotly's), clear of tick labels at any text size
        const right = a === 0 ? inner.left - margin.l + 2 + 1.25 * g.fontSize : rect.left - 40 * scale;
        g.ctx.translate(right, rect.top + rect.height / 2);
        g.ctx.rotate(-Math.PI / 2);
        axisTitle(g, p.y.title, "bottom");
        g.ctx.restore();
      }
    });
    // notes: HTML over the canvas, just above or below the data value ``y`` at the panel's left
    for (const { div, panel, note } of this.notes) {
      const r = panel.rect;
      const at = g.panel(r, panel.x.span, panel.y.span, { xlog: panel.x.log, ylog: panel.y.log }).py(note.y);
      Object.assign(div.style, { left: `${r.left + 0.01 * r.width}px`, maxWidth: `${0.9 * r.width}px` });
      if (note.side === "above") { div.style.bottom = `${g.height - at + 1}px`; div.style.top = ""; }
      else { div.style.top = `${at + 1}px`; div.style.bottom = ""; }
    }
    if (TESTING) { // tests/browser/test_live_charts.py reads what was drawn, at full precision
      const finite = (a) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
      this.plot.canvas.dataset.state = JSON.stringify(this.panels.map((p) => ({
        x: p.x.span, y: p.y.span, marks: (p.shapes || []).filter((s) => s.kind === "vline").map((s) => s.x),
        traces: p.traces.map((t) => ({ kind: t.kind, len: t.x.length, x: t.kind === "line" || t.kind === "band" ? undefined : finite(t.x), y: finite(t.y), y0: t.y0 ? finite(t.y0) : undefined })),
        hlines: (p.shapes || []).filter((s) => s.kind === "hline").map((s) => s.y),
      })));
    }
    return `${this.data.name}:${drawn}`;
  }

  destroy() { this.plot.destroy(); }
}

export function mount(component) {
  return mountOnce(component, (root) => new ChartView(root));
}
