// The canvas of the live views: panels with axes, ticks, labels, legends, lines, signed fills,
// markers, bars, images and ellipses, in the app's palette and plotly's look (same font, muted ticks,
// faint grid). Crisp on high-DPI screens, resizes with its column, follows Streamlit's light/dark
// theme. Input events only change state; drawing happens in one requestAnimationFrame callback per
// frame (Plot.invalidate). The other concerns live beside it: theme.js (colours), format.js (numbers,
// ticks), text.js (wrapping), presenter.js (presenter mode and its fit), instrument.js (test stats),
// mount.js (one view per component).

import { recordFrame } from "./instrument.js";
import { chartFontSize, fitToScreen, presenting, watchMoves } from "./presenter.js";
import { logLabel, tickLabel, ticks } from "./format.js";
import { rgba, theme } from "./theme.js";

// --- the plot --------------------------------------------------------------------------------------
export class Plot {
  /**
   * @param {HTMLElement} container  where the canvas goes (its width is followed)
   * @param {object} opts  {height (CSS px), name (for stats), label (aria-label), render(g)}
   */
  constructor(container, opts) {
    this.opts = opts;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "live-plot";
    this.canvas.setAttribute("role", "img");
    if (opts.label) this.canvas.setAttribute("aria-label", opts.label);
    container.appendChild(this.canvas);
    this.container = container;
    this.height = opts.height;
    this.pending = false;
    this.resize = new ResizeObserver(() => this.invalidate());
    this.resize.observe(container);
  }

  setLabel(label) { this.canvas.setAttribute("aria-label", label); }

  /** The height to draw at: the view's own, or — for a view created with ``fit: true`` (its layout is
   * proportional to its height; stacked fixed panels are not) — presenter mode's fitted height
   * (presenter.js fitToScreen), measured at every draw. */
  fittedHeight() {
    if (!this.opts.fit || !presenting()) return this.height;
    const { height, place } = fitToScreen(this.canvas, this.container, this.height, this.opts.minHeight || 260);
    this.place = place;
    return height;
  }

  /** Presenter mode: content above a fitted chart may move it after its last draw; for a few seconds
   * after each draw, redraw if its place changed. */
  watchPlace() {
    if (this.unwatch) this.unwatch();
    const drawn = this.place;
    this.unwatch = watchMoves(() => this.canvas.isConnected, () => { this.fittedHeight(); return this.place !== drawn; },
      () => this.invalidate());
  }

  setHeight(height) {
    if (height !== this.height) { this.height = height; this.invalidate(); }
  }

  /** The height below which presenter mode's fit will not go, for a view whose floor depends on its
   * width (a stacked layout cannot shrink). */
  setMinHeight(height) {
    if (height !== this.opts.minHeight) { this.opts.minHeight = height; this.invalidate(); }
  }

  /** Ask for a redraw at the next animation frame (many calls per frame draw once). */
  invalidate() {
    if (this.pending || this.destroyed) return;
    this.pending = true;
    this.frame = requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  draw() {
    const width = Math.max(1, Math.floor(this.container.clientWidth));
    if (!this.container.isConnected || width < 10) return;
    const dpr = window.devicePixelRatio || 1;
    const height = this.fittedHeight();
    if (this.opts.fit && presenting()) this.watchPlace();
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const g = new Graphics(ctx, width, height, theme(this.container));
    const signature = this.opts.render(g);
    recordFrame(this.opts.name || "plot", signature);
  }

  /** Stop everything this plot started (its frame, its place watch, its ResizeObserver) and remove it. */
  destroy() {
    this.destroyed = true;
    cancelAnimationFrame(this.frame);
    if (this.unwatch) this.unwatch();
    this.resize.disconnect();
    this.canvas.remove();
  }
}

/** Drawing context handed to a view's render function: the canvas size, theme, panels, legends. */
export class Graphics {
  constructor(ctx, width, height, th) {
    this.ctx = ctx;
    this.width = width;
    this.height = height;
    this.theme = th;
    this.fontSize = chartFontSize(); // 14 px, 18 px in presenter mode
  }

  font(size = this.fontSize, weight = "normal") { return `${weight} ${size}px ${this.theme.font}`; }

  /** A panel: data ranges mapped into a rectangle (CSS px). ``xlog``/``ylog``: log10 axes. */
  panel(rect, x, y, options = {}) { return new Panel(this, rect, x, y, options); }

  text(str, px, py, { color, size, weight, align = "left", baseline = "alphabetic", bg } = {}) {
    const ctx = this.ctx;
    ctx.font = this.font(size, weight);
    ctx.textAlign = align;
    ctx.textBaseline = baseline;
    if (bg) {
      const w = ctx.measureText(str).width;
      const h = (size || this.fontSize) * 1.25;
      const x0 = align === "right" ? px - w : align === "center" ? px - w / 2 : px;
      const y0 = baseline === "top" ? py : baseline === "middle" ? py - h / 2 : py - h * 0.8;
      ctx.fillStyle = bg;
      ctx.fillRect(x0 - 3, y0 - 1, w + 6, h + 2);
    }
    ctx.fillStyle = color || this.theme.text;
    ctx.fillText(str, px, py);
    return ctx.measureText(str).width;
  }

  /**
   * A horizontal legend from (px, py), wrapping at the canvas width. Items: {label, color, kind}
   * with kind "line" | "dash" | "fill" | "marker" | "diamond" | "ring". Returns the height it used.
   */
  legend(items, px, py, { maxWidth, measure = false } = {}) {
    const ctx = this.ctx;
    ctx.font = this.font();
    const limit = px + (maxWidth || this.width - px);
    const rowH = this.fontSize * 1.5;
    let x = px;
    let y = py + rowH / 2;
    for (const item of items) {
      const w = 26 + ctx.measureText(item.label).width + 16;
      if (x + w > limit && x > px) { x = px; y += rowH; }
      if (!measure) {
        this.swatch(item, x, y);
        this.text(item.label, x + 26, y, { baseline: "middle", color: this.theme.text });
      }
      x += w;
    }
    return y + rowH / 2 - py;
  }

  /** The height a legend will take (to lay out panels above it). */
  legendHeight(items, px, opts = {}) { return this.legend(items, px, 0, { ...opts, measure: true }); }

  swatch(item, x, y) {
    const ctx = this.ctx;
    ctx.save();
    if (item.kind === "fill") {
      ctx.fillStyle = rgba(item.color, item.alpha ?? 0.45);
      ctx.fillRect(x, y - 6, 20, 12);
    } else if (item.kind === "diamond") {
      ctx.beginPath();
      ctx.moveTo(x + 10, y - 6); ctx.lineTo(x + 16, y); ctx.lineTo(x + 10, y + 6); ctx.lineTo(x + 4, y);
      ctx.closePath();
      ctx.fillStyle = item.color;
      ctx.fill();
    } else if (item.kind === "marker" || item.kind === "ring") {
      ctx.beginPath();
      ctx.arc(x + 10, y, 5, 0, 2 * Math.PI);
      if (item.kind === "ring") { ctx.strokeStyle = item.color; ctx.lineWidth = 2; ctx.stroke(); }
      else { ctx.fillStyle = item.color; ctx.fill(); }
    } else {
      ctx.strokeStyle = item.color;
      ctx.lineWidth = item.width || 2.5;
      if (item.kind === "dash") ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 20, y);
      ctx.stroke();
    }
    ctx.restore();
  }
}

export class Panel {
  constructor(g, rect, x, y, { xlog = false, ylog = false } = {}) {
    this.g = g;
    this.ctx = g.ctx;
    Object.assign(this, rect); // left, top, width, height
    this.xlog = xlog;
    this.ylog = ylog;
    this.x = xlog ? x.map(Math.log10) : x;
    this.y = ylog ? y.map(Math.log10) : y;
  }

  px(x) {
    const v = this.xlog ? Math.log10(x) : x;
    return this.left + ((v - this.x[0]) / (this.x[1] - this.x[0])) * this.width;
  }

  py(y) {
    const v = this.ylog ? Math.log10(y) : y;
    return this.top + this.height - ((v - this.y[0]) / (this.y[1] - this.y[0])) * this.height;
  }

  /** Data coordinates of a canvas point (for pointer input). */
  invert(px, py) {
    let x = this.x[0] + ((px - this.left) / this.width) * (this.x[1] - this.x[0]);
    let y = this.y[0] + ((this.top + this.height - py) / this.height) * (this.y[1] - this.y[0]);
    if (this.xlog) x = 10 ** x;
    if (this.ylog) y = 10 ** y;
    return [x, y];
  }

  clip() {
    this.ctx.save();
    this.ctx.beginPath();
    this.ctx.rect(this.left, this.top, this.width, this.height);
    this.ctx.clip();
  }

  unclip() { this.ctx.restore(); }

  /**
   * Grid, tick labels, axis titles and a panel title, in plotly's look. Options: xlabel, ylabel,
   * title, xticks / yticks (false hides labels; an array gives [value, label] pairs), zero (draw y = 0).
   */
  axes({ xlabel, ylabel, title, xticks = true, yticks = true, xgrid = false, ygrid = true, zero = false } = {}) {
    const { ctx, g } = this;
    const th = g.theme;
    ctx.save();
    ctx.lineWidth = 1;
    const list = (axis, spec, log) => {
      if (Array.isArray(spec)) return spec;
      const [lo, hi] = axis;
      if (log) {
        const out = [];
        for (let k = Math.ceil(lo - 1e-9); k <= hi + 1e-9; k++) out.push([10 ** k, logLabel(k)]);
        return out;
      }
      const ts = ticks(lo, hi, axis === this.x ? Math.max(3, Math.round(this.width / 90)) : Math.max(3, Math.round(this.height / 55)));
      const step = ts.length > 1 ? ts[1] - ts[0] : 1;
      return ts.map((v) => [v, tickLabel(v, step)]);
    };
    const xs = list(this.x, xticks, this.xlog);
    const ys = list(this.y, yticks, this.ylog);
    ctx.strokeStyle = th.grid;
    for (const [v] of ys) {
      if (!ygrid) break;
      const y = Math.round(this.py(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(this.left, y); ctx.lineTo(this.left + this.width, y); ctx.stroke();
    }
    for (const [v] of xs) {
      if (!xgrid) break;
      const x = Math.round(this.px(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, this.top); ctx.lineTo(x, this.top + this.height); ctx.stroke();
    }
    if (zero && this.y[0] < 0 && this.y[1] > 0) {
      ctx.strokeStyle = th.axis;
      const y = Math.round(this.py(0)) + 0.5;
      ctx.beginPath(); ctx.moveTo(this.left, y); ctx.lineTo(this.left + this.width, y); ctx.stroke();
    }
    ctx.strokeStyle = th.grid;
    const yb = Math.round(this.top + this.height) + 0.5;
    ctx.beginPath(); ctx.moveTo(this.left, yb); ctx.lineTo(this.left + this.width, yb); ctx.stroke();
    if (xticks !== false) {
      for (const [v, label] of xs) {
        g.text(label, this.px(v), this.top + this.height + 5, { color: th.muted, align: "center", baseline: "top" });
      }
    }
    if (yticks !== false) {
      for (const [v, label] of ys) {
        g.text(label, this.left - 6, this.py(v), { color: th.muted, align: "right", baseline: "middle" });
      }
    }
    if (xlabel) {
      g.text(xlabel, this.left + this.width / 2, this.top + this.height + (xticks === false ? 6 : 8 + g.fontSize),
        { color: th.muted, align: "center", baseline: "top" });
    }
    if (ylabel) {
      ctx.save();
      ctx.translate(this.left - 40, this.top + this.height / 2);
      ctx.rotate(-Math.PI / 2);
      g.text(ylabel, 0, 0, { color: th.muted, align: "center", baseline: "bottom" });
      ctx.restore();
    }
    if (title) g.text(title, this.left + this.width / 2, this.top - 8, { color: th.muted, align: "center" });
    ctx.restore();
  }

  line(xs, ys, { color, width = 2, dash, alpha = 1 } = {}) {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = alpha < 1 ? rgba(color, alpha) : color;
    ctx.lineWidth = width;
    ctx.lineJoin = "round";
    if (dash) ctx.setLineDash(dash);
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < xs.length; i++) {
      const x = this.px(xs[i]);
      const y = this.py(ys[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) { started = false; continue; }
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    }
    ctx.stroke();
    ctx.restore();
  }

  /** The area between the curve and ``base`` (default y = 0). */
  fill(xs, ys, { color, alpha = 0.45, base = 0 } = {}) {
    const ctx = this.ctx;
    ctx.save();
    ctx.fillStyle = rgba(color, alpha);
    ctx.beginPath();
    const y0 = this.py(base);
    ctx.moveTo(this.px(xs[0]), y0);
    for (let i = 0; i < xs.length; i++) ctx.lineTo(this.px(xs[i]), this.py(ys[i]));
    ctx.lineTo(this.px(xs[xs.length - 1]), y0);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }

  /** A filled band between two curves (e.g. ±2 s.e.). */
  band(xs, lo, hi, { color, alpha = 0.2 } = {}) {
    const ctx = this.ctx;
    ctx.save();
    ctx.fillStyle = rgba(color, alpha);
    ctx.beginPath();
    for (let i = 0; i < xs.length; i++) ctx[i ? "lineTo" : "moveTo"](this.px(xs[i]), this.py(hi[i]));
    for (let i = xs.length - 1; i >= 0; i--) ctx.lineTo(this.px(xs[i]), this.py(lo[i]));
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }

  points(xs, ys, { color, r = 3, alpha = 1, stroke } = {}) {
    const ctx = this.ctx;
    ctx.save();
    ctx.fillStyle = alpha < 1 ? rgba(color, alpha) : color;
    if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 1.5; }
    for (let i = 0; i < xs.length; i++) {
      ctx.beginPath();
      ctx.arc(this.px(xs[i]), this.py(ys[i]), r, 0, 2 * Math.PI);
      ctx.fill();
      if (stroke) ctx.stroke();
    }
    ctx.restore();
  }

  vline(x, { color, width = 1.5, dash } = {}) {
    this.segment(x, this.invert(0, this.top + this.height)[1], x, this.invert(0, this.top)[1], { color, width, dash });
  }

  hline(y, { color, width = 1.5, dash } = {}) {
    this.segment(this.invert(this.left, 0)[0], y, this.invert(this.left + this.width, 0)[0], y, { color, width, dash });
  }

  segment(x0, y0, x1, y1, { color, width = 2, dash } = {}) {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    if (dash) ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(this.px(x0), this.py(y0));
    ctx.lineTo(this.px(x1), this.py(y1));
    ctx.stroke();
    ctx.restore();
  }

  /** An arrow from (x0, y0) to (x1, y1) in data coordinates, head in canvas pixels. */
  arrow(x0, y0, x1, y1, { color, width = 2, head = 7 } = {}) {
    const ctx = this.ctx;
    const ax = this.px(x0), ay = this.py(y0), bx = this.px(x1), by = this.py(y1);
    const len = Math.hypot(bx - ax, by - ay);
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
    if (len > 2) {
      const ux = (bx - ax) / len, uy = (by - ay) / len, h = Math.min(head, len);
      ctx.beginPath();
      ctx.moveTo(bx, by);
      ctx.lineTo(bx - h * ux + (h / 2) * uy, by - h * uy - (h / 2) * ux);
      ctx.lineTo(bx - h * ux - (h / 2) * uy, by - h * uy + (h / 2) * ux);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  /** A vertical bar from y0 to y1 centred at x with a width in pixels. */
  bar(x, y0, y1, { color, alpha = 1, widthPx = 30 } = {}) {
    const top = Math.min(this.py(y0), this.py(y1));
    const h = Math.abs(this.py(y0) - this.py(y1));
    this.ctx.save();
    this.ctx.fillStyle = alpha < 1 ? rgba(color, alpha) : color;
    this.ctx.fillRect(this.px(x) - widthPx / 2, top, widthPx, h);
    this.ctx.restore();
  }

  /** An ellipse centred at (cx, cy) with semi-axes (rx, ry) in data units, rotated by ``angle`` (data frame). */
  ellipse(cx, cy, rx, ry, { color, width = 2, dash, fill, angle = 0 } = {}) {
    const ctx = this.ctx;
    const sx = this.width / (this.x[1] - this.x[0]);
    const sy = this.height / (this.y[1] - this.y[0]);
    ctx.save();
    ctx.beginPath();
    // Points of the ellipse in data space, mapped (handles unequal x/y scales and rotation).
    const c = Math.cos(angle), s = Math.sin(angle);
    for (let i = 0; i <= 72; i++) {
      const t = (i / 72) * 2 * Math.PI;
      const ex = rx * Math.cos(t), ey = ry * Math.sin(t);
      const x = this.left + (cx + c * ex - s * ey - this.x[0]) * sx;
      const y = this.top + this.height - (cy + s * ex + c * ey - this.y[0]) * sy;
      ctx[i ? "lineTo" : "moveTo"](x, y);
    }
    ctx.closePath();
    if (fill) { ctx.fillStyle = fill; ctx.fill(); }
    if (color) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      if (dash) ctx.setLineDash(dash);
      ctx.stroke();
    }
    ctx.restore();
  }

  /** Draw an image source (canvas / ImageBitmap) into the data rectangle [x0, x1] × [y0, y1]. */
  image(source, x0, x1, y0, y1, { smooth = false } = {}) {
    const ctx = this.ctx;
    ctx.save();
    ctx.imageSmoothingEnabled = smooth;
    const left = this.px(x0), right = this.px(x1), top = this.py(y1), bottom = this.py(y0);
    ctx.drawImage(source, left, top, right - left, bottom - top);
    ctx.restore();
  }

  /** Text at data coordinates. */
  label(str, x, y, opts = {}) { return this.g.text(str, this.px(x), this.py(y), opts); }
}
