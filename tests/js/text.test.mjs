// static/live/text.js: wrapping of canvas text (presenter mode's titles and legends), English and Chinese.
import assert from "node:assert/strict";
import { test } from "node:test";

import { wrapLines } from "../../static/live/text.js";

// A stand-in for a canvas context: Latin characters 1 unit wide, CJK and fullwidth ones 2.
const ctx = { measureText: (s) => ({ width: [...s].reduce((w, c) => w + (/[\u2e80-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1), 0) }) };
const width = (s) => ctx.measureText(s).width;

test("text that fits stays one line, untouched", () => {
  assert.deepEqual(wrapLines(ctx, "Running estimates", 40), ["Running estimates"]);
  assert.deepEqual(wrapLines(ctx, "蒙特卡洛估计", 12), ["蒙特卡洛估计"]);
});

test("English breaks at spaces: every line fits, no word is split, nothing is lost", () => {
  const str = "Error of each run against the standard error sigma over root n";
  for (const w of [10, 16, 25, 40]) {
    const lines = wrapLines(ctx, str, w);
    assert.ok(lines.length > 1);
    for (const line of lines) {
      assert.ok(width(line) <= w, `"${line}" wider than ${w}`);
      assert.equal(line, line.trim());
    }
    assert.equal(lines.join(" "), str);
    // greedy: the next line's first word would not have fitted on this line
    for (let i = 0; i + 1 < lines.length; i++) assert.ok(width(`${lines[i]} ${lines[i + 1].split(" ")[0]}`) > w);
  }
});

test("a word wider than the line gets a line of its own", () => {
  assert.deepEqual(wrapLines(ctx, "a supercalifragilistic word", 8), ["a", "supercalifragilistic", "word"]);
});

test("Chinese breaks between characters, and no line starts with closing punctuation", () => {
  const str = "每次运行的误差，与标准误差σ/√n相比。";
  for (const w of [8, 10, 14, 20]) {
    const lines = wrapLines(ctx, str, w);
    assert.equal(lines.join(""), str);
    for (const line of lines) {
      assert.ok(!/^[，。）」』、：；！？)]/.test(line), `"${line}" starts with a closing mark`);
      // a line may overrun only by the closing mark glued to its last character
      assert.ok(width(line.replace(/[，。]$/, "")) <= w, `"${line}" wider than ${w}`);
    }
  }
  assert.deepEqual(wrapLines(ctx, "中文标题", 4), ["中文", "标题"]);
});

test("mixed text: a no-break space holds its phrase together", () => {
  const str = "Histogram of the runs (n\u00a0=\u00a010,000)";
  const lines = wrapLines(ctx, str, 20);
  assert.ok(lines.some((l) => l.includes("(n\u00a0=\u00a010,000)")));
  assert.deepEqual(wrapLines(ctx, "直方图 (n\u00a0=\u00a0100)", 10), ["直方图", "(n\u00a0=\u00a0100)"]);
});
