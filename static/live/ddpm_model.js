// The shipped DDPM in the browser (vae_core/ddpm.py; exported by `python scripts/export_browser.py
// --ddpm` into static/ddpm/: int8 weights with a float32 scale per row, 1.1 MB, fetched on the first
// play of the /diffusion page's "watch it draw" view and never on another page):
//   epsilon(x, t)   ↔ DDPM.eps         ε_θ(x_t, t), the residual MLP with the "bayes" head
//   predictX0(x, t) ↔ DDPM.predict_x0  x̂₀ = tanh(√ᾱ_t/(1 − ᾱ_t) · x_t + h)
//   pMean(x, t)     ↔ DDPM.p_mean      μ_θ = (x_t − β_t/√(1 − ᾱ_t) · ε̂) / √α_t        (Ho eq. 11)
//   step(x, t, z)   ↔ DDPM.sample's loop: x_{t−1} = μ_θ(x_t, t) + σ_t z, σ_t² = β̃_t (σ₁² = β̃₂)
// The schedule is noise_math.js's (held equal to vae_core.diffusion). Weights are float32 (the
// dequantized int8, bit-identical to vae_core.ddpm_export.quantized_model); sums run in float64, and the
// time embedding rounds like torch's float32, so tests/browser/test_live_ddpm.py holds ε̂ and μ_θ
// equal to torch's to 1e-5.
//
// Seeded draws: `gaussians(seed)` is xoshiro128** (Blackman & Vigna) seeded by splitmix32 from the
// 32-bit seed, each pair of uniforms (24-bit, in (0, 1)) turned into two N(0, 1) by Box–Muller. A chain
// from seed s takes x_T from the first 784 draws and each step's z from the next 784, so one seed gives
// one picture on every browser (tests replay the same draws in torch).

import { schedule } from "./noise_math.js";

export const SIDE = 28;
const LN_EPS = 1e-5;

let loading = null;

/** Load the exported DDPM once per visit; resolves to a DDPMNet. */
export function loadDDPM() {
  if (!loading) {
    const base = new URL("../ddpm/", import.meta.url);
    loading = (async () => {
      const manifest = await (await fetch(new URL("ddpm.json", base), { cache: "no-cache" })).json();
      const response = await fetch(new URL(`ddpm_q8.bin?v=${manifest.sha256.slice(0, 12)}`, base));
      if (!response.ok) throw new Error(`DDPM weights: HTTP ${response.status}`);
      return new DDPMNet(manifest, await response.arrayBuffer());
    })();
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** Whether the weights were requested in this visit (tests: nothing is fetched before a play). */
export function requested() { return loading !== null; }

// --- the seeded normal draws ----------------------------------------------------------------------
function splitmix32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** An endless stream of N(0, 1) draws from a 32-bit seed: next() → one number. */
export function gaussians(seed) {
  const init = splitmix32(seed);
  const s = Uint32Array.of(init(), init(), init(), init());
  const rotl = (x, k) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const u32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 11);
    return result;
  };
  const uniform = () => ((u32() >>> 8) + 0.5) / 16777216; // (0, 1), 24 bits
  let spare = null;
  return {
    next() {
      if (spare !== null) { const v = spare; spare = null; return v; }
      const r = Math.sqrt(-2 * Math.log(uniform())), a = 2 * Math.PI * uniform();
      spare = r * Math.sin(a);
      return r * Math.cos(a);
    },
    fill(out) { for (let i = 0; i < out.length; i++) out[i] = this.next(); return out; },
  };
}

/** n draws from ``seed`` (tests replay them in torch). */
export function gaussianArray(seed, n) { return Array.from(gaussians(seed).fill(new Float64Array(n))); }

// --- the network ------------------------------------------------------------------------------------
function dense(layer, input, output) {
  const { w, b, rows, cols } = layer;
  for (let r = 0; r < rows; r++) {
    let s = b[r];
    const o = r * cols;
    for (let c = 0; c < cols; c++) s += w[o + c] * input[c];
    output[r] = s;
  }
  return output;
}

const silu = (v) => v / (1 + Math.exp(-v));

function layerNorm(norm, input, output) {
  const n = input.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += input[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (input[i] - mean) ** 2;
  const inv = 1 / Math.sqrt(v / n + LN_EPS);
  for (let i = 0; i < n; i++) output[i] = (input[i] - mean) * inv * norm.w[i] + norm.b[i];
  return output;
}

export class DDPMNet {
  constructor(manifest, buffer) {
    this.manifest = manifest;
    const args = manifest.model_args;
    const tensors = Object.fromEntries(manifest.tensors.map((x) => [x.name, x]));
    const tensor = (name) => {
      const t = tensors[name];
      if (!t) throw new Error(`DDPM export lacks ${name}`);
      if (t.kind === "float32") return new Float32Array(buffer, t.offset, t.shape.reduce((a, b) => a * b, 1));
      const [rows, cols] = t.shape;
      const q = new Int8Array(buffer, t.offset, rows * cols), scale = new Float32Array(buffer, t.scale_offset, rows);
      const w = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = q[r * cols + c] * scale[r];
      return w;
    };
    const layer = (prefix) => {
      const w = tensors[`${prefix}.weight`];
      return { rows: w.shape[0], cols: w.shape[1], w: tensor(`${prefix}.weight`), b: tensor(`${prefix}.bias`) };
    };
    const norm = (prefix) => ({ w: tensor(`${prefix}.weight`), b: tensor(`${prefix}.bias`) });
    this.T = args.T;
    this.xDim = args.x_dim;
    this.hidden = args.hidden;
    this.timeDim = args.time_dim;
    this.head = args.head;
    this.time1 = layer("net.time_mlp.0");
    this.time2 = layer("net.time_mlp.2");
    this.inp = layer("net.inp");
    this.blocks = Array.from({ length: args.n_blocks }, (_, i) => ({
      norm: norm(`net.blocks.${i}.norm`), inner: layer(`net.blocks.${i}.inner`),
      time: layer(`net.blocks.${i}.time`), outer: layer(`net.blocks.${i}.outer`),
    }));
    this.outNorm = norm("net.out_norm");
    this.out = layer("net.out");
    this.sched = schedule(args.T, args.schedule);
    // σ_t² = β̃_t = (1 − ᾱ_{t−1}) β_t / (1 − ᾱ_t), with σ₁² = β̃₂ (vae_core.ddpm.DDPM; "beta" = β_t)
    const { betas, oneMinusAlphaBar: omab } = this.sched;
    this.sigma2 = new Float64Array(args.T);
    for (let t = 1; t <= args.T; t++) {
      this.sigma2[t - 1] = args.sigma === "beta" ? betas[t - 1] : (omab[t - 1] * betas[t - 1]) / omab[t];
    }
    if (args.sigma !== "beta") this.sigma2[0] = (omab[1] * betas[1]) / omab[2];
    const H = this.hidden;
    this.buf = { emb: new Float64Array(this.timeDim), e1: new Float64Array(H), e2: new Float64Array(H),
      h: new Float64Array(H), n: new Float64Array(H), a: new Float64Array(H), tb: new Float64Array(H),
      o: new Float64Array(this.xDim), eps: new Float64Array(this.xDim), x0: new Float64Array(this.xDim),
      mean: new Float64Array(this.xDim) };
    this.freqs = Float64Array.from(manifest.time_freqs); // torch's float32 frequencies of e(t)
    this.embCache = new Map();
  }

  /** The network's raw output h(x_t, t) (D_x) into buf.o — EpsNet.forward. */
  raw(x, t) {
    const B = this.buf, H = this.hidden;
    const emb = this.timeEmbedding(t);
    dense(this.inp, x, B.h);
    for (let k = 0; k < this.blocks.length; k++) {
      const block = this.blocks[k], tb = emb.blocks[k];
      layerNorm(block.norm, B.h, B.n);
      dense(block.inner, B.n, B.a);
      for (let i = 0; i < H; i++) B.a[i] = silu(B.a[i] + tb[i]);
      dense(block.outer, B.a, B.n);
      for (let i = 0; i < H; i++) B.h[i] += B.n[i];
    }
    layerNorm(this.outNorm, B.h, B.n);
    for (let i = 0; i < H; i++) B.n[i] = silu(B.n[i]);
    return dense(this.out, B.n, B.o);
  }

  /** time_mlp(e(t)) and each block's W_t of it: a function of t alone, cached (1000 steps, 1000 entries). */
  timeEmbedding(t) {
    let hit = this.embCache.get(t);
    if (hit) return hit;
    const B = this.buf, half = this.timeDim / 2;
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(t * this.freqs[i]); // torch: float32 t · float32 freq
      B.emb[i] = Math.sin(angle);
      B.emb[half + i] = Math.cos(angle);
    }
    dense(this.time1, B.emb, B.e1);
    for (let i = 0; i < B.e1.length; i++) B.e1[i] = silu(B.e1[i]);
    dense(this.time2, B.e1, B.e2);
    hit = { blocks: this.blocks.map((block) => dense(block.time, B.e2, new Float64Array(this.hidden))) };
    if (this.embCache.size < 2 * this.T) this.embCache.set(t, hit);
    return hit;
  }

  /** x̂₀(x_t, t) and ε̂(x_t, t) into buf.x0 and buf.eps (the "bayes" head; "plain": ε̂ is the output). */
  predict(x, t) {
    const B = this.buf, o = this.raw(x, t);
    const ab = this.sched.alphaBar[t], omab = this.sched.oneMinusAlphaBar[t];
    const sab = Math.sqrt(ab), somab = Math.sqrt(omab);
    if (this.head === "plain") {
      for (let i = 0; i < this.xDim; i++) { B.eps[i] = o[i]; B.x0[i] = (x[i] - somab * o[i]) / sab; }
    } else {
      const gain = sab / omab;
      for (let i = 0; i < this.xDim; i++) {
        B.x0[i] = Math.tanh(gain * x[i] + o[i]);
        B.eps[i] = (x[i] - sab * B.x0[i]) / somab;
      }
    }
    return B;
  }

  /** μ_θ(x_t, t) into buf.mean (also leaves x̂₀ in buf.x0). Ho eq. 11. */
  pMean(x, t) {
    const B = this.predict(x, t);
    const beta = this.sched.betas[t - 1];
    const c = beta / Math.sqrt(this.sched.oneMinusAlphaBar[t]), inv = 1 / Math.sqrt(1 - beta);
    for (let i = 0; i < this.xDim; i++) B.mean[i] = (x[i] - c * B.eps[i]) * inv;
    return B;
  }

  /** One reverse step t → t − 1 in place: x ← μ_θ(x, t) + σ_t z (t ≥ 2); returns buf (x̂₀ in buf.x0). */
  step(x, t, z) {
    const B = this.pMean(x, t), sd = Math.sqrt(this.sigma2[t - 1]);
    for (let i = 0; i < this.xDim; i++) x[i] = B.mean[i] + sd * z[i];
    return B;
  }

  /** The decoder's mean at the end: P(pixel on | x₁) = Φ(μ_θ(x₁, 1)/σ₁) into ``out``. */
  pixelProbabilities(x1, out = new Float64Array(this.xDim)) {
    const B = this.pMean(x1, 1), sd = Math.sqrt(this.sigma2[0]);
    for (let i = 0; i < this.xDim; i++) out[i] = normalCdf(B.mean[i] / sd);
    return out;
  }
}

/** Φ(z), the standard normal CDF (erfc by W. J. Cody's rational form via Numerical Recipes' erfcc, |err| < 1.2e-7). */
export function normalCdf(z) {
  const x = -z / Math.SQRT2, ax = Math.abs(x), t = 1 / (1 + 0.5 * ax);
  const r = t * Math.exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return 0.5 * (x >= 0 ? r : 2 - r);
}

// --- entry points for the parity tests (tests/browser/test_live_ddpm.py) ------------------------------
/** [[x (784), t], …] → [[ε̂ (784), x̂₀ (784), μ_θ (784)], …]. */
export async function predictMany(rows) {
  const net = await loadDDPM();
  return rows.map(([x, t]) => {
    const B = net.pMean(Float64Array.from(x), t);
    return [Array.from(B.eps), Array.from(B.x0), Array.from(B.mean)];
  });
}

/** The whole chain from ``seed`` as the view runs it: x_T and each z from gaussians(seed), or from
 * ``start`` = {t, x} ("denoise from here"). Returns {x1, probs, kept: {t: x_t}} for t in ``keep``. */
export async function chain(seed, keep = [], start = null) {
  const net = await loadDDPM();
  const g = gaussians(seed);
  const tStart = start ? start.t : net.T;
  const x = start ? Float64Array.from(start.x) : g.fill(new Float64Array(net.xDim));
  const z = new Float64Array(net.xDim), kept = {};
  if (keep.includes(tStart)) kept[tStart] = Array.from(x);
  for (let t = tStart; t > 1; t--) {
    net.step(x, t, g.fill(z));
    if (keep.includes(t - 1)) kept[t - 1] = Array.from(x);
  }
  return { x1: Array.from(x), probs: Array.from(net.pixelProbabilities(x)), kept };
}
