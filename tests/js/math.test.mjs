// The closed forms the live views compute every frame (static/live/math.js, jensen_math.js,
// toy_math.js, gradients.js), checked in node against numerical integrals and finite differences —
// an oracle independent of the formulas. (The browser parity tests hold them equal to vae_core.)
import assert from "node:assert/strict";
import { test } from "node:test";

import { klIntegrand, klNormal, linspace, logPriorDensity, normalPdf } from "../../static/live/math.js";
import { fValue as jensenF, isConvex, lognormal, lognormalPdf, twoPoint } from "../../static/live/jensen_math.js";
import { ledger, logJoint, posterior } from "../../static/live/toy_math.js";
import { exactGradient, expectation, fValue as gradF } from "../../static/live/gradients.js";

/** ∫ f over [lo, hi], composite Simpson with n (even) intervals. */
function simpson(f, lo, hi, n = 4000) {
  const h = (hi - lo) / n;
  let s = f(lo) + f(hi);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(lo + i * h);
  return (s * h) / 3;
}

const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test("a Gaussian density integrates to 1 and has its mean and variance", () => {
  for (const [mu, sigma] of [[0, 1], [1.5, 0.3], [-2, 2.5]]) {
    const lo = mu - 12 * sigma, hi = mu + 12 * sigma;
    close(simpson((x) => normalPdf(x, mu, sigma), lo, hi), 1, 1e-10, "mass");
    close(simpson((x) => x * normalPdf(x, mu, sigma), lo, hi), mu, 1e-9, "mean");
    close(simpson((x) => (x - mu) ** 2 * normalPdf(x, mu, sigma), lo, hi), sigma ** 2, 1e-9, "variance");
  }
});

test("KL(p‖q) in closed form equals the integral of its integrand, is ≥ 0 and 0 only at p = q", () => {
  for (const [m1, s1, m2, s2] of [[0, 1, 0, 1.5], [0.5, 0.7, -1, 2], [2, 0.4, -1, 1.3], [-1, 2, 3, 0.8]]) {
    const lo = Math.min(m1 - 14 * s1, m2 - 14 * s2), hi = Math.max(m1 + 14 * s1, m2 + 14 * s2);
    close(klNormal(m1, s1, m2, s2), simpson((x) => klIntegrand(x, m1, s1, m2, s2), lo, hi, 20000), 1e-8, "KL");
    assert.ok(klNormal(m1, s1, m2, s2) > 0);
  }
  assert.equal(klNormal(0.3, 1.7, 0.3, 1.7), 0);
  close(klNormal(0, 1, 0, 1.5), Math.log(1.5) + 1 / (2 * 2.25) - 0.5, 1e-15, "KL(N(0,1)‖N(0,1.5²))");
});

test("linspace and the prior's log density", () => {
  assert.deepEqual(Array.from(linspace(-1, 1, 5)), [-1, -0.5, 0, 0.5, 1]);
  close(logPriorDensity([0.3, -1.2]), Math.log(normalPdf(0.3, 0, 1) * normalPdf(-1.2, 0, 1)), 1e-14, "log N(z; 0, I)");
});

test("Jensen: two-point and log-normal X from their definitions; the gap's sign follows convexity", () => {
  for (const f of ["log", "sqrt", "neglog", "square"]) {
    const [mean, fMean, meanF] = twoPoint(f, 0.5, 4, 0.3);
    close(mean, 0.3 * 0.5 + 0.7 * 4, 1e-15, "E[X]");
    close(meanF, 0.3 * jensenF(f, 0.5) + 0.7 * jensenF(f, 4), 1e-15, "E[f(X)]");
    assert.equal(meanF >= fMean, isConvex(f), f);
    for (const sigma of [0.2, 0.6, 1.0]) {
      const [m, fm, mf] = lognormal(f, sigma);
      // integrals over y = log x ~ N(0, σ²) (smooth, no singularity at x = 0); dx = e^y dy
      close(simpson((y) => lognormalPdf(Math.exp(y), sigma) * Math.exp(y), -12 * sigma, 12 * sigma), 1, 1e-10, "mass");
      close(m, simpson((y) => Math.exp(y) * normalPdf(y, 0, sigma), -12 * sigma, 12 * sigma), 1e-10, `E[X] σ=${sigma}`);
      close(mf, simpson((y) => jensenF(f, Math.exp(y)) * normalPdf(y, 0, sigma), -12 * sigma, 12 * sigma), 1e-8, `${f} σ=${sigma}`);
      close(fm, jensenF(f, m), 1e-15, "f(E[X])");
    }
  }
});

test("the toy model's ledger: log p(x) = ELBO + KL(q‖p(z|x)), and each piece from its integral", () => {
  for (const [x, w, noise, m, s] of [[1.5, 1, 0.5, 0, 1], [-0.7, 2, 1.2, 0.4, 0.3], [3, 0.5, 0.8, -1, 1.5]]) {
    const L = ledger(x, w, noise, m, s);
    close(L.lp, L.elbo + L.kl, 1e-12, "log p(x) = ELBO + KL");
    close(L.elbo, L.recon - L.priorKl, 1e-12, "ELBO = recon − KL(q‖p(z))");
    close(Math.exp(L.lp), simpson((z) => Math.exp(logJoint(z, x, w, noise)), -30, 30, 20000), 1e-9, "p(x) = ∫ p(x, z) dz");
    const q = (z) => normalPdf(z, m, s);
    close(L.elbo, simpson((z) => q(z) * (logJoint(z, x, w, noise) - Math.log(q(z))), m - 14 * s, m + 14 * s, 20000), 1e-8, "ELBO integral");
    const [pm, ps] = posterior(x, w, noise);
    const z = 0.37;
    close(Math.exp(logJoint(z, x, w, noise) - L.lp), normalPdf(z, pm, ps), 1e-12, "p(z|x) = p(x, z)/p(x)");
  }
});

test("reparameterization gradients: E_q[f] is the integral and its gradient the finite difference", () => {
  for (const kind of ["quad", "cos", "gauss"]) {
    for (const [mu, sigma, k] of [[0.3, 0.8, 1.5], [-1.2, 1.4, 0.7], [2, 0.2, 3]]) {
      const integral = simpson((z) => gradF(kind, z, k) * normalPdf(z, mu, sigma), mu - 14 * sigma, mu + 14 * sigma, 20000);
      close(expectation(kind, mu, sigma, k), integral, 1e-8, `E_q[${kind}]`);
      const h = 1e-5;
      const [dMu, dSigma] = exactGradient(kind, mu, sigma, k);
      close(dMu, (expectation(kind, mu + h, sigma, k) - expectation(kind, mu - h, sigma, k)) / (2 * h), 1e-7, `∂μ ${kind}`);
      close(dSigma, (expectation(kind, mu, sigma + h, k) - expectation(kind, mu, sigma - h, k)) / (2 * h), 1e-7, `∂σ ${kind}`);
    }
  }
});
