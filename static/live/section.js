// Short deep links to a section (`?section=ledger`): scroll the heading whose anchor is that name
// into view, once per page load and section. Streamlit renders asynchronously, so for the first
// 12 s it waits for the heading and keeps it in view while content above it grows.

import { viewData } from "./mount.js";
import { presenting } from "./presenter.js";

let done = "";

/** The top of the next section: the first page or section heading (h1, h2 with an anchor) below ``heading``. */
function sectionEnd(heading) {
  const top = heading.getBoundingClientRect().top;
  let end = Infinity;
  for (const next of document.querySelectorAll("h1[id], h2[id]")) {
    const box = next.getBoundingClientRect();
    if (next !== heading && box.height > 0 && box.top > top + 1) end = Math.min(end, box.top);
  }
  return end;
}

/** The first live view (a component drawing a chart) in a section: below its heading, above the next
 * section's — never a view of a later section (`section=manifold` once landed on the interpolation). */
function firstView(heading) {
  const top = heading.getBoundingClientRect().top;
  const end = sectionEnd(heading);
  for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
    const root = host.shadowRoot;
    const at = host.getBoundingClientRect().top;
    if (root && root.querySelector("canvas.live-plot") && at >= top && at < end) return host;
  }
  return null;
}

export function mount(component) {
  const name = viewData(component)?.section;
  const slack = viewData(component)?.slack ?? 80; // how far below the top the heading may stay
  const where = `${window.location.pathname}#${name}`; // the same anchor on another page scrolls there too
  if (!name || done === where) return () => {};
  done = where;
  const started = performance.now();
  let height = 0, changed = started;
  // Charts and images above the section keep arriving after it appears and push it down: keep it
  // in place for a few seconds, until the reader scrolls, clicks or types.
  let reader = false;
  for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) {
    window.addEventListener(type, () => { reader = true; }, { once: true, capture: true });
  }
  const hold = () => {
    if (reader) return;
    const target = document.getElementById(name);
    if (target) {
      if (slack < 60) target.style.scrollMarginTop = "0px"; // Streamlit keeps anchors 60 px below the top
      const top = target.getBoundingClientRect().top;
      const view = presenting() ? firstView(target) : null;
      if (view) {
        // Presenter mode: the section's live view whole on the screen (its controls and its chart),
        // with as much of the section above it as still fits.
        const box = view.getBoundingClientRect();
        if (Math.round(box.height) !== height) { height = Math.round(box.height); changed = performance.now(); }
        if (box.bottom - top <= window.innerHeight - 8) {
          if (top < 0 || top > slack) target.scrollIntoView({ block: "start", behavior: "auto" });
        } else if (box.bottom > window.innerHeight + 0.5 || box.bottom < window.innerHeight - 24 || box.top < -0.5) {
          // its bottom at the screen's bottom; a view taller than the screen shows its top instead
          view.scrollIntoView({ block: box.height <= window.innerHeight ? "end" : "start", behavior: "auto" });
        }
      } else if (top < 0 || top > slack) {
        target.scrollIntoView({ block: "start", behavior: "auto" });
      }
    }
    // keep at it for 12 s, and for 12 s after the view last changed its height (a presenter-mode
    // view fits itself to the screen as the page settles), 30 s at most
    const now = performance.now();
    if (now - Math.max(started, changed) < 12000 && now - started < 30000) setTimeout(hold, 200);
  };
  hold();
  return () => {};
}
