// Mounted on every page by app.py (ui/live/present.py). Always: links the app-wide stylesheet
// static/live/app.css and makes wide display equations keyboard-scrollable (app.js). Presenter mode
// (present=1): a class on the whole page (no visible element of its own). The stylesheet
// static/live/present.css hides the sidebar and header, enlarges text and metrics; live charts read
// it (presenter.js presenting()) to draw their text at projector size.
// Clicker keys (presenter mode, the lesson): →, PageDown and Space go to the next step, ← and PageUp
// to the previous one, wherever focus is — on a radio (whose arrows would pick another answer), a
// slider or a live control — except while typing in a text field.

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

const NEXT_KEYS = new Set(["ArrowRight", "PageDown", " "]);
const BACK_KEYS = new Set(["ArrowLeft", "PageUp"]);
const NOT_TEXT = new Set(["radio", "checkbox", "range", "button", "submit", "reset", "color", "file", "image"]);

/** Whether keys typed at ``target`` are text (a text field, a text area, editable content). */
export function typing(target) {
  if (!target || target.nodeType !== 1) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !NOT_TEXT.has((target.getAttribute("type") || "text").toLowerCase());
}

function clickerKey(event) {
  if (!document.documentElement.classList.contains(CLASS)) return;
  if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
  const forward = NEXT_KEYS.has(event.key);
  if (!forward && !BACK_KEYS.has(event.key)) return;
  const target = (event.composedPath && event.composedPath()[0]) || event.target; // inside a live view too
  if (typing(target)) return;
  const button = document.querySelector(`.st-key-lesson_${forward ? "next" : "prev"} button`);
  if (!button) return; // not the lesson's step navigation (another page, a phone that follows a class)
  event.preventDefault(); // no radio change, no slider move, no scrolling
  event.stopImmediatePropagation();
  if (!button.disabled && !event.repeat) button.click();
}

export function mount(component) {
  if (!window.__elboClickerKeys) {
    window.__elboClickerKeys = true;
    window.addEventListener("keydown", clickerKey, true); // capture: before the focused control sees it
  }
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
