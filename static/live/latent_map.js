// The latent map, drawn client-side: the 500 holdout digits' encoder means coloured by class, each
// class's label at its median, and the prior's 1σ / 2σ circles. Shared by the latent pad and the
// drawing pad. The codes come from static/model/holdout_codes.json (python scripts/export_browser.py),
// fetched once per visit.

export const Z_LIM = 4; // the map's and the sliders' range of z₁, z₂ (ui/figures_latent.Z_LIM)
export const DIGIT_COLOURS = ["#3366cc", "#dc3912", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00",
  "#b82e2e", "#316395", "#aaaa11"]; // ui/figures_latent.DIGIT_COLOURS
export const CURRENT = "#f5c400"; // the current z (ui/figures_latent.CURRENT)

let loading = null;

/** {mu: [[z1, z2]…], sigma, labels, centres: [[z1, z2] per digit]} — fetched once per visit. */
export function loadCodes() {
  if (!loading) {
    loading = fetch(new URL("../model/holdout_codes.json", import.meta.url), { cache: "no-cache" })
      .then((r) => { if (!r.ok) throw new Error(`holdout codes: HTTP ${r.status}`); return r.json(); })
      .then((codes) => ({ ...codes, centres: classMedians(codes) }));
    loading.catch(() => { loading = null; });
  }
  return loading;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** Each digit class's median [z₁, z₂] (where the map writes the class label). */
export function classMedians({ mu, labels }) {
  return DIGIT_COLOURS.map((_, d) => {
    const pts = mu.filter((_, i) => labels[i] === d);
    return [median(pts.map((p) => p[0])), median(pts.map((p) => p[1]))];
  });
}

/** The square map panel centred in a w × h area with room for tick labels. */
export function mapPanel(g, { left = 44, top = 8, bottom = 40, size } = {}) {
  const side = size || Math.max(120, Math.min(g.width - left - 10, g.height - top - bottom));
  return g.panel({ left, top, width: side, height: side }, [-Z_LIM - 0.2, Z_LIM + 0.2], [-Z_LIM - 0.2, Z_LIM + 0.2]);
}

/** Axes, prior circles, the digits' means and class labels. ``codes`` may be null while loading. */
export function drawLatentMap(panel, codes, palette, { dim = false } = {}) {
  const ticks = [-4, -3, -2, -1, 0, 1, 2, 3, 4].map((v) => [v, String(v).replace("-", "\u2212")]);
  panel.axes({ xlabel: "z\u2081", ylabel: "z\u2082", xticks: ticks, yticks: ticks, xgrid: true });
  panel.clip();
  for (const r of [1, 2]) panel.ellipse(0, 0, r, r, { color: palette.prior, width: 1.5, dash: [6, 4] });
  if (codes) {
    const alpha = dim ? 0.35 : 0.8;
    const ctx = panel.ctx;
    ctx.save();
    for (let i = 0; i < codes.mu.length; i++) {
      ctx.globalAlpha = alpha;
      ctx.fillStyle = DIGIT_COLOURS[codes.labels[i]];
      ctx.beginPath();
      ctx.arc(panel.px(codes.mu[i][0]), panel.py(codes.mu[i][1]), 3.2, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
    const halo = panel.g.theme.dark ? "rgba(14,17,23,0.85)" : "rgba(255,255,255,0.85)";
    codes.centres.forEach(([x, y], d) => {
      ctx.save();
      ctx.font = panel.g.font(20, "bold");
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 4;
      ctx.strokeStyle = halo;
      ctx.strokeText(String(d), panel.px(x), panel.py(y));
      ctx.fillStyle = DIGIT_COLOURS[d];
      ctx.fillText(String(d), panel.px(x), panel.py(y));
      ctx.restore();
    });
  }
  panel.unclip();
}

/** A five-pointed star marker at data (x, y). */
export function star(panel, x, y, { size = 13, fill = CURRENT, stroke = "#000" } = {}) {
  const ctx = panel.ctx;
  const cx = panel.px(x), cy = panel.py(y);
  ctx.save();
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? size * 0.42 : size;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    ctx[i ? "lineTo" : "moveTo"](cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = stroke;
  ctx.stroke();
  ctx.restore();
}

/** A 28×28 grey image (values in [0, 1], ink = 1) into a reusable canvas, white ink on black as MNIST. */
export function digitCanvas(pixels, canvas = document.createElement("canvas")) {
  canvas.width = 28;
  canvas.height = 28;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * pixels[i]);
    img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
