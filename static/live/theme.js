// Colours and fonts of the live views: Streamlit's theme (light or dark) read from its CSS
// variables, and colour helpers for the app's palette.

export const FONT = '"Source Sans Pro", "Source Sans 3", "Noto Sans CJK SC", sans-serif';

function cssVar(el, name, fallback) {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

const colourCache = new Map();
/** [r, g, b] of "#rrggbb", "rgb(…)" or "rgba(…)" (Streamlit's text grey for anything else). */
export function parseColour(colour) {
  if (colourCache.has(colour)) return colourCache.get(colour);
  let rgb = [49, 51, 63];
  const hex = /^#([0-9a-f]{6})$/i.exec(colour);
  const fn = /^rgba?\(([^)]+)\)$/i.exec(colour);
  if (hex) rgb = [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  else if (fn) rgb = fn[1].split(",").slice(0, 3).map((v) => parseFloat(v));
  colourCache.set(colour, rgb);
  return rgb;
}

/** ``colour`` with an alpha, as "rgba(r,g,b,a)". */
export function rgba(colour, alpha) {
  const c = parseColour(colour);
  return `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;
}

/** The theme's colours, read from Streamlit's CSS variables on the component's host element. */
export function theme(el) {
  const text = cssVar(el, "--st-text-color", "rgb(49, 51, 63)");
  const background = cssVar(el, "--st-background-color", "#ffffff");
  const [r, g, b] = parseColour(background);
  const dark = 0.299 * r + 0.587 * g + 0.114 * b < 128;
  return {
    text, background, dark,
    muted: rgba(text, 0.65),
    grid: rgba(text, 0.1),
    axis: rgba(text, 0.25),
    font: FONT,
  };
}
