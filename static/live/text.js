// Canvas text that must wrap (presenter mode's 18 px titles and legends in a narrow column): line
// breaks at spaces and between CJK characters. Needs only ``ctx.measureText`` (tests/js/text.test.mjs
// runs it in node with a fixed-width stand-in).

/** ``str`` in lines no wider than ``width`` (ctx.font set), broken at spaces and in CJK text. */
export function wrapLines(ctx, str, width) {
  if (ctx.measureText(str).width <= width) return [str];
  // break opportunities: at spaces (a no-break space holds "n\u00a0=\u00a010,000" together) and
  // between CJK characters and fullwidth punctuation
  const parts = [];
  for (const part of str.match(/[\u2e80-\u9fff\uff00-\uffef]|[^ \u2e80-\u9fff\uff00-\uffef]+| +/g)) {
    if (parts.length && /^[）」』，。、：；！？)]/.test(part)) parts[parts.length - 1] += part; // no line starts with a closing mark
    else parts.push(part);
  }
  const lines = [];
  let cur = "";
  for (const part of parts) {
    if (!cur && part.startsWith(" ")) continue; // no line starts with a space
    if (cur && ctx.measureText((cur + part).trimEnd()).width > width) { lines.push(cur.trimEnd()); cur = part.trimStart(); } else cur += part;
  }
  if (cur.trim()) lines.push(cur.trimEnd());
  return lines;
}
