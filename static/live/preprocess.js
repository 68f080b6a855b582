// MNIST-style preprocessing of a drawn digit, in the browser — the mirror of vae_core/preprocess.py
// (read its docstring for the steps; a browser test holds both equal on tests/data/strokes.json):
// strokes → grey raster (round brush, anti-aliased edge) → bounding box scaled to fit 20×20 (area
// average, aspect kept) → centre of mass moved to (14, 14) → binary (grey ≥ 0.5). And the `draw=`
// format: 784 bits packed MSB-first, base64url without padding (131 characters).

export const RASTER = 280;
export const BRUSH = 11.0;
export const SIDE = 28;
const BOX = 20;
const MARGIN = (SIDE - BOX) / 2;
export const THRESHOLD = 0.5;

/** A RASTER × RASTER ink raster (Float64Array), inked incrementally while you draw. */
export class Raster {
  constructor() { this.ink = new Float64Array(RASTER * RASTER); }

  clear() { this.ink.fill(0); }

  /** A 28×28 binary starting picture as blocks of RASTER/28 pixels. */
  base(bits) {
    const block = RASTER / SIDE;
    for (let y = 0; y < RASTER; y++) {
      for (let x = 0; x < RASTER; x++) this.ink[y * RASTER + x] = bits[Math.floor(y / block) * SIDE + Math.floor(x / block)] ? 1 : 0;
    }
  }

  /** Ink the round-brush segment a→b (raster pixels), same operations as preprocess._segment. */
  segment(ax, ay, bx, by) {
    const reach = BRUSH + 1.0;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach)), x1 = Math.min(RASTER, Math.ceil(Math.max(ax, bx) + reach));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach)), y1 = Math.min(RASTER, Math.ceil(Math.max(ay, by) + reach));
    const dx = bx - ax, dy = by - ay;
    const length2 = dx * dx + dy * dy;
    const ink = this.ink;
    for (let y = y0; y < y1; y++) {
      const py = y + 0.5;
      for (let x = x0; x < x1; x++) {
        const px = x + 0.5;
        let t = 0;
        if (length2 > 0) t = Math.min(Math.max(((px - ax) * dx + (py - ay) * dy) / length2, 0.0), 1.0);
        const ex = px - (ax + t * dx), ey = py - (ay + t * dy);
        const v = Math.min(Math.max(BRUSH + 0.5 - Math.sqrt(ex * ex + ey * ey), 0.0), 1.0);
        const i = y * RASTER + x;
        if (v > ink[i]) ink[i] = v;
      }
    }
  }

  /** A stroke's point i (pad coordinates in [0, 1]): the first inks a dot, the others a segment. */
  addPoint(stroke, i) {
    const [bx, by] = [stroke[i][0] * RASTER, stroke[i][1] * RASTER];
    if (i === 0) { this.segment(bx, by, bx, by); return; }
    this.segment(stroke[i - 1][0] * RASTER, stroke[i - 1][1] * RASTER, bx, by);
  }

  /** Base picture (or none) and every stroke, from scratch (after undo). */
  redraw(strokes, bits) {
    if (bits) this.base(bits); else this.clear();
    for (const stroke of strokes) for (let i = 0; i < stroke.length; i++) this.addPoint(stroke, i);
  }
}

/** Overlap of output cells [start + i·cell, start + (i+1)·cell) with source pixels lo … hi−1. */
function areaWeights(start, cell, lo, hi) {
  const w = [];
  for (let i = 0; i < BOX; i++) {
    const a = start + cell * i, b = start + cell * (i + 1);
    const first = Math.max(lo, Math.floor(a)), last = Math.min(hi - 1, Math.ceil(b) - 1);
    const row = [];
    for (let r = first; r <= last; r++) {
      const v = Math.min(b, r + 1) - Math.max(a, r);
      if (v > 0) row.push([r, v]);
    }
    w.push(row);
  }
  return w;
}

function shift(offset) { return Math.min(Math.max(Math.floor(offset + 0.5), -MARGIN), MARGIN); }

/** Grey ink (Float64Array, width × height) → Float64Array(784) in [0, 1] — preprocess.to_mnist. */
export function toMnist(ink, width = RASTER, height = RASTER) {
  const out = new Float64Array(SIDE * SIDE);
  let r0 = height, r1 = -1, c0 = width, c1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        if (y < r0) r0 = y;
        if (y > r1) r1 = y;
        if (x < c0) c0 = x;
        if (x > c1) c1 = x;
      }
    }
  }
  if (r1 < 0) return out;
  r1 += 1; c1 += 1;
  const side = Math.max(r1 - r0, c1 - c0);
  const cell = side / BOX;
  const wy = areaWeights((r0 + r1) / 2 - side / 2, cell, r0, r1);
  const wx = areaWeights((c0 + c1) / 2 - side / 2, cell, c0, c1);
  // rows first: tmp[i][x] = Σ_r wy[i][r] ink[r][x], then columns
  const tmp = new Float64Array(BOX * width);
  for (let i = 0; i < BOX; i++) {
    for (const [r, w] of wy[i]) {
      const o = r * width;
      for (let x = c0; x < c1; x++) tmp[i * width + x] += w * ink[o + x];
    }
  }
  const box = new Float64Array(BOX * BOX);
  const area = cell * cell;
  let mass = 0, my = 0, mx = 0;
  for (let i = 0; i < BOX; i++) {
    for (let j = 0; j < BOX; j++) {
      let s = 0;
      for (const [c, w] of wx[j]) s += w * tmp[i * width + c];
      const v = s / area;
      box[i * BOX + j] = v;
      mass += v;
      my += v * (i + 0.5 + MARGIN);
      mx += v * (j + 0.5 + MARGIN);
    }
  }
  const top = MARGIN + shift(SIDE / 2 - my / mass), left = MARGIN + shift(SIDE / 2 - mx / mass);
  for (let i = 0; i < BOX; i++) {
    for (let j = 0; j < BOX; j++) out[(top + i) * SIDE + left + j] = Math.min(Math.max(box[i * BOX + j], 0), 1);
  }
  return out;
}

/** Grey → the model's binary input (Float64Array of 0/1; the Bernoulli likelihood's pixels). */
export function binarize(grey, out = new Float64Array(grey.length)) {
  for (let i = 0; i < grey.length; i++) out[i] = grey[i] >= THRESHOLD ? 1 : 0;
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** 784 bits → 131 base64url characters (98 bytes MSB-first, no padding) — preprocess.pack. */
export function pack(bits) {
  const bytes = new Uint8Array(bits.length / 8);
  for (let i = 0; i < bits.length; i++) if (bits[i] > 0) bytes[i >> 3] |= 0x80 >> (i & 7);
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) s += B64[(n >> (18 - 6 * k)) & 63];
  }
  return s;
}

/** The inverse of pack → Uint8Array(784), or null when ``text`` is not a drawing. */
export function unpack(text) {
  if (typeof text !== "string" || text.length !== 131) return null;
  const bytes = new Uint8Array(98);
  let acc = 0, nbits = 0, j = 0;
  for (const ch of text) {
    const v = B64.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 6) | v;
    nbits += 6;
    if (nbits >= 8) { nbits -= 8; if (j < 98) bytes[j++] = (acc >> nbits) & 255; }
    acc &= (1 << nbits) - 1;
  }
  const bits = new Uint8Array(784);
  for (let i = 0; i < 784; i++) bits[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
  return bits;
}

/** For parity tests: strokes (and an optional packed base) → the grey 28×28 as a plain array. */
export function mnistFromStrokes(strokes, basePacked = null) {
  const raster = new Raster();
  raster.redraw(strokes, basePacked ? unpack(basePacked) : null);
  return Array.from(toMnist(raster.ink));
}

/** For tests: bits → packed and back. */
export function packBits(bits) { return pack(bits); }
export function unpackBits(text) { const b = unpack(text); return b ? Array.from(b) : null; }
