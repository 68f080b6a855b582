// The Gaussian KL page's landscape: log10 KL(p‖q) (or KL(q‖p)) over every q = N(μ₂, σ₂²) with p
// fixed, as a heatmap in plotly's colours (landscape_math.js), the minimum q = p (star) and your q
// (cross), and the value under the pointer. It replaces a plotly heatmap that the server rebuilt and
// the browser re-laid out on every release (docs/benchmarks.md, issue 24): the server now sends four
// numbers and the grid's shape, and the browser computes the 4,221 cells itself. While the KL view
// above is dragged it follows (kl.js announces its values), so the landscape moves with p and q.

import { Plot } from "./plot.js";
import { fmt } from "./format.js";
import { mountOnce } from "./mount.js";
import { el } from "./controls.js";
import { colourAt, landscape } from "./landscape_math.js";
import { klNormal } from "./math.js";

export const DRAG_EVENT = "live-kl-values"; // kl.js → window, every frame of a drag

function star(ctx, x, y, size) {
  const outer = size / 2, inner = outer * 0.45;
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? inner : outer, a = -Math.PI / 2 + (k * Math.PI) / 5;
    ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath();
}

function cross(ctx, x, y, size) {
  const h = size / 2, w = size / 4.5; // plotly's "x": a thick cross, filled, outlined
  ctx.beginPath();
  const pts = [[-h, -h + w], [-w, 0], [-h, h - w], [-h + w, h], [0, w], [h - w, h], [h, h - w], [w, 0],
    [h, -h + w], [h - w, -h], [0, -w], [-h + w, -h]];
  for (const [dx, dy] of pts) ctx.lineTo(x + dx, y + dy);
  ctx.closePath();
}

class LandscapeView {
  constructor(root) {
    const wrap = el(root, "div", "live-root");
    this.cells = document.createElement("canvas");
    this.drawnKey = null;
    this.dragged = null; // values of a drag in progress in the KL view, until the release's rerun
    this.hover = null;
    this.plot = new Plot(wrap, { height: 380, name: "kl_landscape", render: (g) => this.render(g) });
    this.onDrag = (event) => { this.dragged = event.detail; this.plot.invalidate(); };
    window.addEventListener(DRAG_EVENT, this.onDrag);
    const canvas = this.plot.canvas;
    canvas.addEventListener("pointermove", (e) => {
      const r = canvas.getBoundingClientRect();
      this.hover = [e.clientX - r.left, e.clientY - r.top];
      this.plot.invalidate();
    });
    canvas.addEventListener("pointerleave", () => { this.hover = null; this.plot.invalidate(); });
  }

  update(data) {
    this.data = data;
    this.dragged = null;
    this.plot.setLabel(data.text.chart_aria);
    this.plot.invalidate();
  }

  /** The cells as an nx × ny image (row 0 at the top = the largest σ₂), recomputed when p or the direction change. */
  paint(mu1, sigma1) {
    const { grid, direction, colorscale, zrange } = this.data;
    const key = `${mu1}|${sigma1}|${direction}`;
    if (key === this.drawnKey) return;
    this.drawnKey = key;
    const z = landscape(mu1, sigma1, direction, grid);
    this.z = z;
    const { nx, ny } = grid;
    this.cells.width = nx;
    this.cells.height = ny;
    const ctx = this.cells.getContext("2d");
    const image = ctx.createImageData(nx, ny);
    for (let i = 0; i < ny; i++) {
      for (let j = 0; j < nx; j++) {
        const [r, g, b] = colourAt(colorscale, z[i * nx + j], zrange[0], zrange[1]);
        const o = 4 * ((ny - 1 - i) * nx + j);
        image.data[o] = Math.round(r); image.data[o + 1] = Math.round(g); image.data[o + 2] = Math.round(b);
        image.data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  render(g) {
    const { text, grid, values, sigmaTicks, palette } = this.data; // sigmaTicks: [[log10 σ₂, label], …]
    const { mu1, sigma1, mu2, sigma2 } = this.dragged || values;
    this.paint(mu1, sigma1);
    const { x0, dx, nx, y0, dy, ny } = grid;
    // cell edges: plotly centres cell j on x0 + j·dx
    const xr = [x0 - dx / 2, x0 + (nx - 0.5) * dx], yr = [y0 - dy / 2, y0 + (ny - 0.5) * dy];
    const margin = { left: 50, right: 10, top: 20, bottom: 45 };
    const panel = g.panel({ left: margin.left, top: margin.top, width: g.width - margin.left - margin.right,
      height: g.height - margin.top - margin.bottom }, xr, yr);
    panel.image(this.cells, xr[0], xr[1], yr[0], yr[1]);
    panel.axes({ xlabel: "μ₂", yticks: sigmaTicks, ygrid: false });
    const ctx = g.ctx;
    panel.clip();
    ctx.save();
    ctx.lineWidth = 1;
    ctx.strokeStyle = "black";
    star(ctx, panel.px(mu1), panel.py(Math.log10(sigma1)), 21); // plotly's size 16 star, measured on screen
    ctx.fillStyle = "white"; ctx.fill(); ctx.stroke();
    cross(ctx, panel.px(mu2), panel.py(Math.log10(sigma2)), 16);
    ctx.fillStyle = palette.q; ctx.fill(); ctx.stroke();
    ctx.restore();
    panel.unclip();
    // the y axis title, as plotly placed it: rotated, left of the ticks
    ctx.save();
    ctx.translate(14, panel.top + panel.height / 2);
    ctx.rotate(-Math.PI / 2);
    g.text("σ₂", 0, 0, { color: g.theme.muted, align: "center", baseline: "middle" });
    ctx.restore();
    if (this.hover) {
      const [hx, hy] = this.hover;
      const [m, ls] = panel.invert(hx, hy);
      const j = Math.round((m - x0) / dx), i = Math.round((ls - y0) / dy);
      if (i >= 0 && i < ny && j >= 0 && j < nx) {
        const m2 = x0 + j * dx, s2 = 10 ** (y0 + i * dy);
        const kl = this.data.direction === "pq" ? klNormal(mu1, sigma1, m2, s2) : klNormal(m2, s2, mu1, sigma1);
        const label = text.hover.replace("{mu}", fmt(m2, 2)).replace("{sigma}", s2.toPrecision(3)).replace("{kl}", fmt(kl));
        g.text(label, Math.min(hx + 12, g.width - 8), hy - 12, { color: g.theme.text, align: hx + 12 > g.width / 2 ? "right" : "left",
          baseline: "bottom", bg: g.theme.dark ? "rgba(14,17,23,0.9)" : "rgba(255,255,255,0.9)" });
      }
    }
    return `${fmt(mu1)}|${fmt(sigma1)}|${fmt(mu2)}|${fmt(sigma2)}|${this.data.direction}`;
  }

  destroy() {
    window.removeEventListener(DRAG_EVENT, this.onDrag);
    this.plot.destroy();
  }
}

export function mount(component) {
  return mountOnce(component, (root) => new LandscapeView(root));
}
