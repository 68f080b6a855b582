// Short deep links to a section (`?section=ledger`): scroll the heading whose anchor is that name
// into view, once per page load and section. Streamlit renders asynchronously, so for the first
// 12 s it waits for the heading and keeps it in view while content above it grows.

import { viewData } from "./plot.js";

let done = "";

export function mount(component) {
  const name = viewData(component)?.section;
  if (!name || done === name) return () => {};
  done = name;
  const started = performance.now();
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
      const top = target.getBoundingClientRect().top;
      if (top < 0 || top > 80) target.scrollIntoView({ block: "start", behavior: "auto" });
    }
    if (performance.now() - started < 12000) setTimeout(hold, 200);
  };
  hold();
  return () => {};
}
