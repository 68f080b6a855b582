// Pathwise vs score-function gradients of E_q[f(z)], q = N(μ, σ²), in the browser: each function
// mirrors the vae_core.gradients function named in its comment, step for step (the same Gaussian
// integrals, the same order of operations), and tests/browser/test_live_reparam.py holds the two
// equal to 1e-9 relative error over hundreds of random states. Complex numbers are [re, im].

import { grouped } from "./format.js";

/** f(z; k) — vae_core.gradients.f_value ("quad" (z − k)², "cos" cos(kz), "gauss" exp(−kz²)) */
export function fValue(kind, z, k) {
  if (kind === "quad") return (z - k) ** 2;
  if (kind === "cos") return Math.cos(k * z);
  if (kind === "gauss") return Math.exp(-k * z * z);
  throw new Error(`unknown f ${kind}`);
}

/** f′(z; k) — vae_core.gradients.f_derivative */
export function fDerivative(kind, z, k) {
  if (kind === "quad") return 2 * (z - k);
  if (kind === "cos") return -k * Math.sin(k * z);
  if (kind === "gauss") return -2 * k * z * Math.exp(-k * z * z);
  throw new Error(`unknown f ${kind}`);
}

/** E_{N(μ,σ²)}[f] in closed form — vae_core.gradients.expectation */
export function expectation(kind, mu, sigma, k) {
  if (kind === "quad") return (mu - k) ** 2 + sigma ** 2;
  if (kind === "cos") return Math.cos(k * mu) * Math.exp(-0.5 * (k * sigma) ** 2);
  const s = 1 + 2 * k * sigma ** 2;
  return Math.exp((-k * mu ** 2) / s) / Math.sqrt(s);
}

/** [∂/∂μ, ∂/∂σ] of E_q[f] — vae_core.gradients.exact_gradient */
export function exactGradient(kind, mu, sigma, k) {
  if (kind === "quad") return [2 * (mu - k), 2 * sigma];
  if (kind === "cos") {
    const damp = Math.exp(-0.5 * (k * sigma) ** 2);
    return [-k * Math.sin(k * mu) * damp, -(k ** 2) * sigma * Math.cos(k * mu) * damp];
  }
  const s = 1 + 2 * k * sigma ** 2;
  const value = Math.exp((-k * mu ** 2) / s) / Math.sqrt(s);
  return [((-2 * k * mu) / s) * value, (value * 2 * k * sigma * (2 * k * mu ** 2 - s)) / s ** 2];
}

/** Per-sample pathwise terms at z = μ + σε: [f′(z), f′(z)·ε] — vae_core.gradients.pathwise_terms (one ε) */
export function pathwiseTerms(kind, mu, sigma, k, eps) {
  const slope = fDerivative(kind, mu + sigma * eps, k);
  return [slope, slope * eps];
}

/** Per-sample score terms [(f − b)·ε/σ, (f − b)·(ε² − 1)/σ] — vae_core.gradients.score_terms (one ε) */
export function scoreTerms(kind, mu, sigma, k, eps, baseline = 0) {
  const centred = fValue(kind, mu + sigma * eps, k) - baseline;
  return [(centred * eps) / sigma, (centred * (eps ** 2 - 1)) / sigma];
}

/**
 * The three estimators averaged over the given ε (one run of L = eps.length samples):
 * {pathwise, score, baseline} → [∂/∂μ, ∂/∂σ], the baseline leave-one-out — what
 * vae_core.gradients.running_estimates returns at its last count for one run.
 */
export function sampleEstimates(kind, mu, sigma, k, eps) {
  const L = eps.length;
  const sums = { pathwise: [0, 0], score: [0, 0] };
  let fz = 0;
  const cross = [0, 0], total = [0, 0];
  for (const e of eps) {
    const rp = pathwiseTerms(kind, mu, sigma, k, e), sf = scoreTerms(kind, mu, sigma, k, e);
    const f = fValue(kind, mu + sigma * e, k), score = [e / sigma, (e ** 2 - 1) / sigma];
    fz += f;
    for (let w = 0; w < 2; w++) {
      sums.pathwise[w] += rp[w];
      sums.score[w] += sf[w];
      cross[w] += f * score[w];
      total[w] += score[w];
    }
  }
  const loo = [0, 1].map((w) => (L > 1 ? (cross[w] - (fz * total[w]) / L) / (L - 1) : NaN));
  return { pathwise: sums.pathwise.map((s) => s / L), score: sums.score.map((s) => s / L), baseline: loo };
}

// --- exact Gaussian integrals (vae_core.gradients._expect and friends) ----------------------------
const C = (re, im = 0) => [re, im];
const cadd = (a, b) => [a[0] + b[0], a[1] + b[1]];
const cmul = (a, b) => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cscale = (a, s) => [a[0] * s, a[1] * s];
const cconj = (a) => [a[0], -a[1]];
const cexp = (a) => { const r = Math.exp(a[0]); return [r * Math.cos(a[1]), r * Math.sin(a[1])]; };

function cpow(a, n) {
  let out = C(1);
  for (let i = 0; i < n; i++) out = cmul(out, a);
  return out;
}

function comb(n, j) {
  let out = 1;
  for (let i = 1; i <= j; i++) out = (out * (n - j + i)) / i;
  return out;
}

function doubleFactorial(n) { return n <= 0 ? 1 : n * doubleFactorial(n - 2); }

/** Re[P(ε)·exp(−a z² + i b z)], z = μ + σε — vae_core.gradients._Term */
const term = (a, b, coeffs) => ({ a, b, coeffs });

function polyMul(p, q) {
  const out = Array.from({ length: p.length + q.length - 1 }, () => C(0));
  p.forEach((pi, i) => q.forEach((qj, j) => { out[i + j] = cadd(out[i + j], cmul(pi, qj)); }));
  return out;
}

/** Re(A)·Re(B) = ½ Re(A·B) + ½ Re(A·conj B) — vae_core.gradients._product */
function product(s, t) {
  const same = polyMul(s.coeffs, t.coeffs).map((c) => cscale(c, 0.5));
  const mixed = polyMul(s.coeffs, t.coeffs.map(cconj)).map((c) => cscale(c, 0.5));
  return [term(s.a + t.a, s.b + t.b, same), term(s.a + t.a, s.b - t.b, mixed)];
}

/** E_{ε~N(0,1)}[Σ terms] exactly — vae_core.gradients._expect */
function expect(terms, mu, sigma) {
  let total = 0;
  for (const { a, b, coeffs } of terms) {
    const v = 1 / (1 + 2 * a * sigma ** 2);
    const beta = [sigma * (-2 * a * mu), sigma * b];
    const m = cscale(beta, v);
    const logScale = cadd(cadd(C(0.5 * Math.log(v)), cscale(cmul(beta, beta), 0.5 * v)), C(-a * mu ** 2, b * mu));
    let polyMean = C(0);
    coeffs.forEach((c, n) => {
      let moment = C(0);
      for (let j = 0; j <= n; j += 2) {
        moment = cadd(moment, cscale(cpow(m, n - j), comb(n, j) * v ** (j / 2) * doubleFactorial(j - 1)));
      }
      polyMean = cadd(polyMean, cmul(c, moment));
    });
    total += cmul(cexp(logScale), polyMean)[0];
  }
  return total;
}

/** [f, f′] as terms in ε — vae_core.gradients._f_terms */
function fTerms(kind, mu, sigma, k) {
  if (kind === "quad") {
    const d = mu - k;
    return [term(0, 0, [C(d ** 2), C(2 * d * sigma), C(sigma ** 2)]), term(0, 0, [C(2 * d), C(2 * sigma)])];
  }
  if (kind === "cos") return [term(0, k, [C(1)]), term(0, k, [C(0, k)])];
  return [term(k, 0, [C(1)]), term(k, 0, [C(-2 * k * mu), C(-2 * k * sigma)])];
}

const EPS2 = [C(0), C(0), C(1)];
const EPS2_MINUS_1_SQ = [C(1), C(0), C(-2), C(0), C(1)];
const times = (terms, poly) => terms.map((t) => term(t.a, t.b, polyMul(t.coeffs, poly)));

/**
 * Exact per-sample variances {pathwise_mu, pathwise_sigma, score_mu, score_sigma, baseline_mu,
 * baseline_sigma} — vae_core.gradients.per_sample_variances (one state).
 */
export function perSampleVariances(kind, mu, sigma, k) {
  const [f, df] = fTerms(kind, mu, sigma, k);
  const f2 = product(f, f), df2 = product(df, df);
  const [gMu, gSigma] = exactGradient(kind, mu, sigma, k);
  const meanF = expectation(kind, mu, sigma, k);
  const variance = (second, mean) => Math.max(second - mean ** 2, 0);
  const f2e2 = expect(times(f2, EPS2), mu, sigma);
  const f2q = expect(times(f2, EPS2_MINUS_1_SQ), mu, sigma);
  const fe2 = expect(times([f], EPS2), mu, sigma);
  const fq = expect(times([f], EPS2_MINUS_1_SQ), mu, sigma);
  const baseMu = f2e2 - 2 * meanF * fe2 + meanF ** 2;
  const baseSigma = f2q - 2 * meanF * fq + 2 * meanF ** 2;
  return {
    pathwise_mu: variance(expect(df2, mu, sigma), gMu),
    pathwise_sigma: variance(expect(times(df2, EPS2), mu, sigma), gSigma),
    score_mu: variance(f2e2 / sigma ** 2, gMu),
    score_sigma: variance(f2q / sigma ** 2, gSigma),
    baseline_mu: variance(baseMu / sigma ** 2, gMu),
    baseline_sigma: variance(baseSigma / sigma ** 2, gSigma),
  };
}

const TINY = 2.2250738585072014e-308; // numpy.finfo(float).tiny

/** numerator / denominator kept finite: 0/0 → 1, x/0 → 1e300 — vae_core.gradients.variance_ratio */
export function varianceRatio(num, den) {
  if (den > TINY) return num / Math.max(den, TINY);
  return num > TINY ? 1e300 : 1;
}

/** A variance ratio as the page shows it (three significant figures) — ui.figures_reparameterization.ratio_text */
export function ratioText(ratio) {
  if (ratio >= 1e6 || ratio < 1e-3) {
    const [mantissa, exponent] = ratio.toExponential(2).split("e");
    const e = Number(exponent);
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}×`;
  }
  if (ratio >= 100) return `${grouped(ratio)}×`;
  let text = ratio.toPrecision(3);
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return `${text}×`;
}
