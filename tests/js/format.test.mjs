// static/live/format.js: the numbers every live view shows (node --test tests/js/).
import assert from "node:assert/strict";
import { test } from "node:test";

import { MINUS, fmt, logLabel, niceCeil, tickLabel, ticks } from "../../static/live/format.js";

test("fmt rounds to fixed decimals with a true minus sign and never shows −0", () => {
  assert.equal(fmt(1.23456), "1.2346");
  assert.equal(fmt(-1.23456), `${MINUS}1.2346`);
  assert.equal(fmt(-0.00004), "0.0000"); // rounds to zero: no "−0.0000"
  assert.equal(fmt(-0.00005), `${MINUS}0.0001`);
  assert.equal(fmt(2.5, 0), "3");
  assert.equal(fmt(-3.14159, 2), `${MINUS}3.14`);
  assert.equal(fmt(0), "0.0000");
  for (const bad of [NaN, Infinity, -Infinity]) assert.equal(fmt(bad), "—");
});

test("fmt agrees with toFixed on random values except for the sign character", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 2000; i++) {
    const v = (rand() - 0.5) * 10 ** (6 * rand() - 2);
    const d = Math.floor(rand() * 6);
    const want = Math.abs(v) < 0.5 * 10 ** -d ? (0).toFixed(d) : v.toFixed(d).replace("-", MINUS);
    assert.equal(fmt(v, d), want);
  }
});

test("ticks are round, evenly spaced, inside the range and about as many as asked", () => {
  assert.deepEqual(ticks(0, 1, 5).map((v) => +v.toFixed(12)), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks(-3, 3, 6), [-3, -2, -1, 0, 1, 2, 3]);
  assert.deepEqual(ticks(2, 2), [2]); // an empty range: one tick
  for (const [lo, hi, count] of [[0.013, 0.87, 5], [-1234, 5678, 7], [1e-6, 3e-6, 4], [-0.5, 0.5, 3], [17, 1017, 8]]) {
    const ts = ticks(lo, hi, count);
    const step = ts[1] - ts[0];
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
    assert.ok([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9), `step ${step}`);
    for (const t of ts) assert.ok(t >= lo - step * 1e-9 && t <= hi + step * 1e-9, `${t} outside [${lo}, ${hi}]`);
    for (let i = 1; i < ts.length; i++) assert.ok(Math.abs(ts[i] - ts[i - 1] - step) < step * 1e-6);
    assert.ok(ts[0] - lo < step + 1e-12 && hi - ts[ts.length - 1] < step + 1e-12); // no gap of a whole step at either end
    assert.ok(ts.length >= Math.ceil(count / 2) && ts.length <= 2 * count + 1, `${ts.length} ticks for ${count}`);
  }
  assert.ok(ticks(-1, 1, 4).includes(0) && !Object.is(ticks(-0.3, 0.3, 3)[1], -0)); // zero is exactly 0
});

test("niceCeil is the smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k at or above the value", () => {
  const steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  assert.equal(niceCeil(0.45), 0.5);
  assert.equal(niceCeil(1), 1);
  assert.equal(niceCeil(1.01), 1.2);
  assert.equal(niceCeil(7), 8);
  assert.equal(niceCeil(81), 100);
  assert.equal(niceCeil(0), 1);
  assert.equal(niceCeil(-3), 1);
  for (let v = 1e-4; v < 1e5; v *= 1.37) {
    const c = niceCeil(v);
    const power = 10 ** Math.floor(Math.log10(v));
    assert.ok(c >= v * (1 - 1e-12), `${c} < ${v}`);
    const below = steps.map((m) => m * power).filter((x) => x < c * (1 - 1e-12));
    assert.ok(below.every((x) => x < v), `${v}: a smaller nice bound exists below ${c}`);
    assert.ok(steps.some((m) => Math.abs(c / power - m) < 1e-9), `${c} is not nice`);
  }
});

test("tick labels carry the decimals their step needs", () => {
  assert.equal(tickLabel(0, 0.1), "0");
  assert.equal(tickLabel(0.2, 0.1), "0.2");
  assert.equal(tickLabel(-0.25, 0.05), `${MINUS}0.25`);
  assert.equal(tickLabel(1500, 500), "1500");
  assert.equal(tickLabel(3e-9, 1e-9), "0.000000"); // at most 6 decimals
});

test("log labels: plain numbers from 0.001 to 100000, powers of ten beyond", () => {
  assert.deepEqual([-3, -1, 0, 2, 5].map(logLabel), ["0.001", "0.1", "1", "100", "100000"]);
  assert.equal(logLabel(6), "10\u2076");
  assert.equal(logLabel(-4), "10\u207b\u2074");
  assert.equal(logLabel(-12), "10\u207b\u00b9\u00b2");
});

test("grouped puts commas between thousands like Python's {:,.0f}", async () => {
  const { grouped } = await import("../../static/live/format.js");
  assert.equal(grouped(17352.6), "17,353");
  assert.equal(grouped(100), "100");
  assert.equal(grouped(999999.4), "999,999");
  assert.equal(grouped(1234567), "1,234,567");
  assert.equal(grouped(-4321), `${MINUS}4,321`);
  assert.equal(grouped(NaN), "—");
});

test("subscriptParts turns every _x into a subscript run and leaves no underscore", async () => {
  const { subscriptParts } = await import("../../static/live/format.js");
  assert.deepEqual(subscriptParts("N(μ_q, σ_q²)"), [["N(μ", false], ["q", true], [", σ", false], ["q", true], ["²)", false]]);
  assert.deepEqual(subscriptParts("p_θ(x|z)"), [["p", false], ["θ", true], ["(x|z)", false]]);
  assert.deepEqual(subscriptParts("μ_q：q 的均值"), [["μ", false], ["q", true], ["：q 的均值", false]]);
  assert.deepEqual(subscriptParts("no subscript"), [["no subscript", false]]);
  for (const label of ["变分分布 q(z) = N(μ_q, σ_q²)", "σ_q — standard deviation of q", "x ~ p_θ(x|z)"]) {
    const parts = subscriptParts(label);
    assert.equal(parts.map(([s]) => s).join(""), label.replaceAll("_", ""));
    assert.ok(parts.every(([s]) => !s.includes("_")));
  }
});

test("gradients.ratioText groups thousands as ui.figures_reparameterization.ratio_text does", async () => {
  const { ratioText } = await import("../../static/live/gradients.js");
  assert.equal(ratioText(17352.6), "17,353×"); // f"{17352.6:,.0f}×"
  assert.equal(ratioText(100), "100×");
  assert.equal(ratioText(123456.2), "123,456×");
  assert.equal(ratioText(2.5), "2.5×");
});
