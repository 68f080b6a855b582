// Jensen's inequality in closed form (the box before 1.4.1.2, eq. 1.4.5), for the live Jensen view.
// Each function mirrors the vae_core.jensen function named in its comment; the browser parity tests
// (tests/browser/test_live_elbo.py) hold the two equal to 1e-9 relative error.

/** f(x) for x > 0: log x, √x, −log x, x² — vae_core.jensen.f_values */
export function fValue(name, x) {
  if (name === "log") return Math.log(x);
  if (name === "sqrt") return Math.sqrt(x);
  if (name === "neglog") return -Math.log(x);
  if (name === "square") return x ** 2;
  throw new Error(`unknown function ${name}`);
}

/** true for convex f (f(E X) ≤ E f(X)), false for concave — vae_core.jensen.is_convex */
export function isConvex(name) { return name === "neglog" || name === "square"; }

/** [E[X], f(E[X]), E[f(X)]] for X = x₁ w.p. λ, x₂ w.p. 1 − λ — vae_core.jensen.two_point */
export function twoPoint(name, x1, x2, lam) {
  const mean = lam * x1 + (1.0 - lam) * x2;
  const meanOfF = lam * fValue(name, x1) + (1.0 - lam) * fValue(name, x2);
  return [mean, fValue(name, mean), meanOfF];
}

/** [E[X], f(E[X]), E[f(X)]] for X = e^Y, Y ~ N(0, σ²) — vae_core.jensen.lognormal */
export function lognormal(name, sigma) {
  const v = sigma ** 2;
  const mean = Math.exp(v / 2);
  const meanOfF = { log: 0.0, neglog: 0.0, square: Math.exp(2 * v), sqrt: Math.exp(v / 8) }[name];
  return [mean, fValue(name, mean), meanOfF];
}

/** |E[f(X)] − f(E[X])| — vae_core.jensen.Jensen.gap */
export function gap(result) { return Math.abs(result[2] - result[1]); }

/** Density of X = e^Y, Y ~ N(0, σ²), at x > 0 (0 elsewhere) — vae_core.jensen.lognormal_pdf */
export function lognormalPdf(x, sigma) {
  if (!(x > 0)) return 0.0;
  return Math.exp(-0.5 * (Math.log(x) / sigma) ** 2) / (x * sigma * Math.sqrt(2 * Math.PI));
}

const Z99 = 2.3263478740408408; // scipy.special.ndtri(0.99)

/** The 99 % quantile of X = e^Y — vae_core.jensen.lognormal_quantile(0.99, σ) (plot windows only). */
export function lognormalQ99(sigma) { return Math.exp(sigma * Z99); }
