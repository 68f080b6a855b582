// The forward process the diffusion page's live view computes (static/live/noise_math.js), checked
// in node against its definitions written independently: ᾱ_t as a plain product of (1 − β_s), Ho et
// al.'s linear endpoints at T = 1000, the cosine ᾱ formula, and x_t's law by a seeded simulation of
// walking t steps. (tests/browser/test_live_noise.py holds them equal to vae_core.)
import assert from "node:assert/strict";
import { test } from "node:test";

import { cosineBetas, linearBetas, noised, schedule } from "../../static/live/noise_math.js";

const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test("linear schedule: Ho et al.'s 1e-4 → 0.02 at T = 1000, rising evenly, Σβ the same for T ≥ 50", () => {
  const b = linearBetas(1000);
  close(b[0], 1e-4, 1e-15, "β₁");
  close(b[999], 0.02, 1e-15, "β_T");
  close(b[500] - b[499], (0.02 - 1e-4) / 999, 1e-12, "step");
  const sum = (a) => a.reduce((s, v) => s + v, 0);
  for (const T of [50, 200, 1000]) close(sum(linearBetas(T)), 10.05, 1e-9, `Σβ at T = ${T}`);
  assert.equal(linearBetas(1)[0], 0.999);
});

test("ᾱ_t is the product of (1 − β_s) and 1 − ᾱ_t its complement", () => {
  for (const kind of ["linear", "cosine"]) {
    for (const T of [1, 5, 1000]) {
      const { betas, alphaBar, oneMinusAlphaBar } = schedule(T, kind);
      let prod = 1;
      for (let t = 1; t <= T; t++) {
        prod *= 1 - betas[t - 1];
        close(alphaBar[t], prod, 1e-12, `${kind} ᾱ_${t}`);
        close(oneMinusAlphaBar[t], 1 - prod, 1e-9, `${kind} 1 − ᾱ_${t}`);
      }
    }
  }
});

test("cosine schedule: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), where no β is clipped", () => {
  const T = 100, s = 0.008, f = (t) => Math.cos(((t / T + s) / (1 + s)) * Math.PI / 2) ** 2;
  const { alphaBar } = schedule(T, "cosine");
  for (let t = 0; t < T; t += 7) close(alphaBar[t], f(t) / f(0), 1e-12, `ᾱ_${t}`);
  assert.ok(cosineBetas(T).every((b) => b > 0 && b <= 0.999));
});

test("x_t from the closed form has the law of walking t steps (mean and variance, ± 5 s.e.)", () => {
  let seed = 12345; // mulberry32: integer arithmetic via Math.imul, exact in JS
  const uniform = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return (((r ^ (r >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const T = 1000, t = 300, n = 20000, { betas, alphaBar, oneMinusAlphaBar } = schedule(T, "linear");
  const walk = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = 1;
    for (let s = 0; s < t; s++) x = Math.sqrt(1 - betas[s]) * x + Math.sqrt(betas[s]) * gauss();
    walk[i] = x;
  }
  const mean = walk.reduce((a, v) => a + v, 0) / n;
  const variance = walk.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const jump = noised(Float64Array.of(1), Float64Array.of(0), alphaBar[t], oneMinusAlphaBar[t])[0];
  assert.ok(Math.abs(mean - jump) < 5 * Math.sqrt(variance / n), `mean ${mean} vs √ᾱ_t ${jump}`);
  assert.ok(Math.abs(variance - oneMinusAlphaBar[t]) < 5 * variance * Math.sqrt(2 / n), `var ${variance}`);
});
