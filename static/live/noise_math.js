// The forward process of a diffusion model in the browser, one function per vae_core/diffusion.py
// function it mirrors (tests/browser/test_live_noise.py holds them equal to 1e-12):
//   linearBetas  ↔ linear_betas   (Ho et al. 2020; endpoints × 1000/T, clipped at MAX_BETA)
//   cosineBetas  ↔ cosine_betas   (Nichol & Dhariwal 2021, eq. 17)
//   schedule     ↔ make_schedule  (ᾱ_t = exp Σ log(1 − β_s), 1 − ᾱ_t = −expm1(log ᾱ_t), t = 0…T)
//   noised       ↔ ui.diffusion_data.noised (x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, Ho eq. 4)

export const MAX_BETA = 0.999;
const BETA_START = 1e-4, BETA_END = 0.02, REFERENCE_T = 1000, COSINE_OFFSET = 0.008;

/** β_1…β_T (Float64Array of length T), numpy's linspace reproduced (last point exactly the end). */
export function linearBetas(T) {
  const scale = REFERENCE_T / T;
  if (T === 1) return Float64Array.of(Math.min(scale * BETA_END, MAX_BETA));
  const lo = scale * BETA_START, hi = scale * BETA_END, step = (hi - lo) / (T - 1);
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = Math.min(i === T - 1 ? hi : i * step + lo, MAX_BETA);
  return out;
}

export function cosineBetas(T) {
  const logF = new Float64Array(T + 1);
  for (let i = 0; i <= T; i++) {
    const c = Math.cos((i / T + COSINE_OFFSET) / (1 + COSINE_OFFSET) * Math.PI / 2);
    logF[i] = 2 * Math.log(Math.max(c, 1e-300));
  }
  const out = new Float64Array(T);
  for (let i = 0; i < T; i++) out[i] = Math.min(-Math.expm1(logF[i + 1] - logF[i]), MAX_BETA);
  return out;
}

/** {betas, alphaBar, oneMinusAlphaBar}: the last two of length T + 1 (entry 0 is t = 0, ᾱ₀ = 1). */
export function schedule(T, kind) {
  const betas = kind === "cosine" ? cosineBetas(T) : linearBetas(T);
  const alphaBar = new Float64Array(T + 1), oneMinusAlphaBar = new Float64Array(T + 1);
  let logAb = 0;
  alphaBar[0] = 1;
  for (let t = 1; t <= T; t++) {
    logAb += Math.log1p(-betas[t - 1]);
    alphaBar[t] = Math.exp(logAb);
    oneMinusAlphaBar[t] = -Math.expm1(logAb);
  }
  return { betas, alphaBar, oneMinusAlphaBar };
}

/** ᾱ_t at one t: the parity tests' entry point (call_js passes one row of arguments). */
export function alphaBar(T, kind, t) { return schedule(T, kind).alphaBar[t]; }

/** SNR_t = ᾱ_t / (1 − ᾱ_t) (Infinity at t = 0). */
export function snr(T, kind, t) {
  const s = schedule(T, kind);
  return s.alphaBar[t] / s.oneMinusAlphaBar[t];
}

/** x_t for every pixel, one ε for all t. */
export function noised(x0, eps, ab, omab) {
  const a = Math.sqrt(ab), b = Math.sqrt(omab), out = new Float64Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = a * x0[i] + b * eps[i];
  return out;
}
