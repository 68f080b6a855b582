// Numbers on screen: fixed decimals with a true minus sign, round tick values, axis bounds that grow
// in steps, log-axis labels. Pure functions (no DOM): tests/js/format.test.mjs runs them in node.

export const MINUS = "\u2212";

/** A number with fixed decimals, "−" for minus, never "−0.0000", "—" when not finite (as ui.components.num). */
export function fmt(value, decimals = 4) {
  if (!Number.isFinite(value)) return "—";
  if (Math.abs(value) < 0.5 * 10 ** -decimals) value = 0;
  return value.toFixed(decimals).replace("-", MINUS);
}

function niceStep(span, count) {
  const raw = span / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return power * (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10);
}

/** Round tick values inside [lo, hi], about ``count`` of them (plotly-like spacing). */
export function ticks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const step = niceStep(hi - lo, count);
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

/** A "nice" upper bound ≥ value (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 × 10ᵏ): axes that grow in steps. */
export function niceCeil(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (value <= m * power * (1 + 1e-12)) return m * power;
  return 10 * power;
}

/** A tick's label: as many decimals as the tick step needs (at most 6), "0" for zero. */
export function tickLabel(v, step) {
  if (v === 0) return "0";
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return fmt(v, Math.min(decimals, 6));
}

/** The label of 10^k on a log axis: 0.001 … 100000, else 10 with a superscript power. */
export function logLabel(k) {
  if (k >= 0 && k <= 5) return String(10 ** k);
  if (k < 0 && k >= -3) return (10 ** k).toFixed(-k);
  const sup = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074", 5: "\u2075",
    6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };
  return "10" + String(k).split("").map((c) => sup[c]).join("");
}

/** A whole number with "," between thousands ("17,353"), as Python's f"{n:,.0f}" — the same on every
 *  browser and locale (toLocaleString depends on the ICU data a browser ships). */
export function grouped(value) {
  if (!Number.isFinite(value)) return "—";
  const n = Math.round(value);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (n < 0 ? MINUS : "") + digits;
}

/** A label with TeX-like subscripts ("N(μ_q, σ_q²)", "p_θ(x|z)") as [text, isSubscript] runs, for a
 *  view that draws them as <sub> (the letters after "_", up to a non-letter): never a bare "_". */
export function subscriptParts(label) {
  const parts = [];
  let last = 0;
  for (const m of String(label).matchAll(/_([\p{L}\p{Nd}]+)/gu)) {
    if (m.index > last) parts.push([label.slice(last, m.index), false]);
    parts.push([m[1], true]);
    last = m.index + m[0].length;
  }
  if (last < label.length) parts.push([label.slice(last), false]);
  return parts;
}
