// Mounted on every page by app.py (ui/live/present.py). Always: links the app-wide stylesheet
// static/live/app.css and makes wide display equations keyboard-scrollable (app.js). Presenter mode
// (present=1): a class on the whole page (no visible element of its own). The stylesheet
// static/live/present.css hides the sidebar and header, enlarges text and metrics; live charts read
// it (presenter.js presenting()) to draw their text at projector size.

import { installPageFixes } from "./app.js";
import { viewData } from "./mount.js";
import { PRESENT_CLASS as CLASS } from "./presenter.js";

function linkStyle(file, flag) {
  if (document.querySelector(`link[data-${flag}]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL(`./${file}${new URL(import.meta.url).search}`, import.meta.url).href;
  link.setAttribute(`data-${flag}`, "1");
  document.head.appendChild(link);
}

export function mount(component) {
  const on = Boolean(viewData(component)?.on);
  const root = document.documentElement;
  linkStyle("app.css", "live-app");
  linkStyle("present.css", "live-present");
  installPageFixes();
  if (root.classList.contains(CLASS) !== on) {
    root.classList.toggle(CLASS, on);
    window.dispatchEvent(new Event("resize")); // charts re-measure their columns
  }
  return () => {};
}
