// Page-wide fixes that CSS alone cannot make (installed once per page by present.js):
// - a display equation up to 20 % wider than its column is set a little smaller so it fits whole
//   (e.g. the ELBO page's two derivations side by side, eq. 1.4.13 on /monte-carlo at desktop
//   widths); a wider one scrolls in its own box (app.css) and gets tabindex=0 and a label, so a
//   keyboard can scroll it too (axe: scrollable-region-focusable); so does a Vega chart or a
//   Markdown table wider than its column (the latent map, the variance tables on a phone);
// - Vega-Lite's invisible selection-brush marks are decorative: hidden from assistive technology
//   (axe: svg-img-alt; they have no content to describe).

const WIDE = "data-live-wide";
const MAX_SHRINK = 1.2;

function fitEquations(boxes) {
  for (const box of boxes) box.style.fontSize = "";
  const ratios = boxes.map((box) => box.scrollWidth / Math.max(box.clientWidth, 1));
  boxes.forEach((box, i) => {
    if (ratios[i] > 1.005 && ratios[i] <= MAX_SHRINK) box.style.fontSize = `${(0.99 / ratios[i]).toFixed(3)}em`;
  });
}

function fixScrollBox(box) {
  const wide = box.scrollWidth > box.clientWidth + 1;
  if (wide === box.hasAttribute(WIDE)) return;
  if (wide) {
    box.setAttribute(WIDE, "1");
    box.tabIndex = 0;
    if (box.classList.contains("katex-display")) {
      box.setAttribute("role", "group");
      const math = box.querySelector("annotation");
      if (math) box.setAttribute("aria-label", math.textContent.slice(0, 200));
    }
  } else {
    box.removeAttribute(WIDE);
    box.removeAttribute("tabindex");
    if (box.classList.contains("katex-display")) {
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
}

function fixAll() {
  const boxes = [...document.querySelectorAll(".katex-display")];
  fitEquations(boxes);
  for (const box of boxes) fixScrollBox(box);
  const others = '[data-testid="stVegaLiteChart"], [data-testid="stMarkdownContainer"] table';
  for (const box of document.querySelectorAll(others)) fixScrollBox(box);
  for (const mark of document.querySelectorAll('g[class*="_brush"][role="graphics-symbol"]:not([aria-hidden])')) {
    mark.setAttribute("aria-hidden", "true");
  }
}

export function installPageFixes() {
  if (window.__livePageFixes) return;
  window.__livePageFixes = true;
  let queued = false;
  let settle = 0;
  const schedule = () => {
    // once on the next frame, and once more after the page has been quiet for a second: charts
    // (Vega) and fonts change their size after the DOM mutation that announced them
    clearTimeout(settle);
    settle = setTimeout(fixAll, 1000);
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fixAll(); });
  };
  const main = document.querySelector('[data-testid="stApp"]') || document.body;
  new MutationObserver(schedule).observe(main, { childList: true, subtree: true });
  window.addEventListener("resize", schedule);
  schedule();
}
