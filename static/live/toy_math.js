// The linear-Gaussian toy model of section 1.4.1 in closed form, for the live ELBO ledger:
// p(z) = N(0, 1), p(x|z) = N(w z, noise²), q(z) = N(m, s²). Each function mirrors the
// vae_core.toy_model function named in its comment (same formula, same order of operations); the
// browser parity tests (tests/browser/test_live_elbo.py) hold them equal to 1e-9. Nats.

import { LOG_2PI, klNormal, normalLogpdf } from "./math.js";

/** log p(x) = log N(x; 0, w² + noise²), eq. 1.4.1 — vae_core.toy_model.log_evidence */
export function logEvidence(x, w, noise) {
  return normalLogpdf(x, 0.0, Math.sqrt(w ** 2 + noise ** 2));
}

/** [mean, sd] of the true posterior p(z|x), eq. 1.4.2 — vae_core.toy_model.posterior */
export function posterior(x, w, noise) {
  const total = w ** 2 + noise ** 2;
  return [(w * x) / total, noise / Math.sqrt(total)];
}

/** log p(x, z) = log p(z) + log p(x|z) — vae_core.toy_model.log_joint */
export function logJoint(z, x, w, noise) {
  return normalLogpdf(z, 0.0, 1.0) + normalLogpdf(x, w * z, noise);
}

/** E_q[log p(x|z)], eq. 1.4.12's first term — vae_core.toy_model.reconstruction_term */
export function reconstructionTerm(x, w, noise, m, s) {
  return -0.5 * LOG_2PI - Math.log(noise) - ((x - w * m) ** 2 + (w * s) ** 2) / (2.0 * noise ** 2);
}

/** KL(q ‖ p(z)), eq. 1.4.12's prior-matching term — vae_core.toy_model.prior_kl */
export function priorKl(m, s) { return klNormal(m, s, 0.0, 1.0); }

/** ELBO(q) = reconstruction − KL(q ‖ p(z)), eqs. 1.4.5, 1.4.12 — vae_core.toy_model.elbo */
export function elbo(x, w, noise, m, s) {
  return reconstructionTerm(x, w, noise, m, s) - priorKl(m, s);
}

/** KL(q ‖ p(z|x)), the gap of eq. 1.4.10 — vae_core.toy_model.posterior_kl */
export function posteriorKl(x, w, noise, m, s) {
  const [postMean, postSd] = posterior(x, w, noise);
  return klNormal(m, s, postMean, postSd);
}

/** Every number of the ledger at once: {lp, elbo, kl, recon, priorKl}. */
export function ledger(x, w, noise, m, s) {
  return { lp: logEvidence(x, w, noise), elbo: elbo(x, w, noise, m, s), kl: posteriorKl(x, w, noise, m, s),
    recon: reconstructionTerm(x, w, noise, m, s), priorKl: priorKl(m, s) };
}
