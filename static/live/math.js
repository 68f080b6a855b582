// Closed forms the live views compute every frame. Each mirrors a vae_core function, named in its
// comment, and the browser parity tests (tests/browser/test_live_kl.py, test_live_latent.py) hold the
// two equal to 1e-9 relative error over hundreds of random states; tests/js/math.test.mjs checks them
// against numerical integrals in node. Nats throughout.

export const LOG_2PI = Math.log(2 * Math.PI);

/** log N(x; μ, σ²) — vae_core.gaussian.normal_logpdf */
export function normalLogpdf(x, mu, sigma) {
  const u = (x - mu) / sigma;
  return -0.5 * LOG_2PI - Math.log(sigma) - 0.5 * u * u;
}

/** N(x; μ, σ²) — vae_core.gaussian.normal_pdf */
export function normalPdf(x, mu, sigma) {
  return Math.exp(normalLogpdf(x, mu, sigma));
}

/** KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)), eq. 1.4.11 in closed form — vae_core.gaussian.kl_normal */
export function klNormal(mu1, sigma1, mu2, sigma2) {
  const logR = 2 * (Math.log(sigma1) - Math.log(sigma2));
  const d = (mu1 - mu2) / sigma2;
  return 0.5 * (Math.expm1(logR) - logR) + 0.5 * d * d;
}

/** p(x)·log(p(x)/q(x)), the integrand of eq. 1.4.11 — vae_core.gaussian.kl_integrand */
export function klIntegrand(x, mu1, sigma1, mu2, sigma2) {
  const logP = normalLogpdf(x, mu1, sigma1);
  return Math.exp(logP) * (logP - normalLogpdf(x, mu2, sigma2));
}

/** ½ Σⱼ (μⱼ² + σⱼ² − 1 − log σⱼ²) — vae_core.gaussian.kl_diag_to_standard_normal */
export function klDiagToStandardNormal(mu, sigma) {
  let total = 0;
  for (let j = 0; j < mu.length; j++) {
    const logVar = 2 * Math.log(sigma[j]);
    total += mu[j] * mu[j] + Math.expm1(logVar) - logVar;
  }
  return 0.5 * total;
}

/** Evenly spaced points from lo to hi (numpy.linspace). */
export function linspace(lo, hi, n) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((hi - lo) * i) / (n - 1);
  return out;
}

/** log N(z; 0, I) = −½ Σⱼ (zⱼ² + log 2π), the prior's log density — vae_core.latent.log_prior_density */
export function logPriorDensity(z) {
  let total = 0;
  for (let j = 0; j < z.length; j++) total += z[j] * z[j] + LOG_2PI;
  return -0.5 * total;
}
