// The KL landscape's numbers (the Gaussian KL page): log10 KL over a grid of q = N(μ₂, σ₂²) with p
// fixed, and plotly's colour scale, so the canvas shows the very picture the plotly heatmap showed.
// Mirrors ui/figures_gaussian_kl.landscape_grid (tests/test_kl_landscape.py holds the two equal in node).

import { klNormal } from "./math.js";
import { parseColour } from "./theme.js";

/**
 * log10 max(KL, floor) on the grid: row i is σ₂ = 10^(y0 + i·dy) (row 0 the smallest σ₂), column j is
 * μ₂ = x0 + j·dx. direction "pq": KL(p‖q); "qp": KL(q‖p). → Float64Array(ny·nx), row-major.
 */
export function landscape(mu1, sigma1, direction, { x0, dx, nx, y0, dy, ny, floor }) {
  const out = new Float64Array(nx * ny);
  for (let i = 0; i < ny; i++) {
    const s2 = 10 ** (y0 + i * dy);
    for (let j = 0; j < nx; j++) {
      const m2 = x0 + j * dx;
      const kl = direction === "pq" ? klNormal(mu1, sigma1, m2, s2) : klNormal(m2, s2, mu1, sigma1);
      out[i * nx + j] = Math.log10(Math.max(kl, floor));
    }
  }
  return out;
}

/** [r, g, b] of the colour scale (plotly's [[position, colour], …]) at z in [zmin, zmax], interpolated
 * linearly in RGB between stops and clamped at the ends, as plotly.js colours a heatmap. */
export function colourAt(scale, z, zmin, zmax) {
  const t = Math.min(1, Math.max(0, (z - zmin) / (zmax - zmin)));
  let k = 1;
  while (k < scale.length - 1 && scale[k][0] < t) k++;
  const [p0, c0] = scale[k - 1], [p1, c1] = scale[k];
  const a = parseColour(c0), b = parseColour(c1);
  const f = p1 > p0 ? (t - p0) / (p1 - p0) : 0;
  return [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * f);
}
