// Presenter mode (present=1): a class on the whole page (no visible element of its own). The
// stylesheet static/live/present.css hides the sidebar and header, enlarges text and metrics;
// live charts read the class to draw their text at projector size.

const CLASS = "st-present";

export function mount(component) {
  const on = Boolean(component.data && component.data.on);
  const root = document.documentElement;
  if (!document.querySelector("link[data-live-present]")) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("./present.css", import.meta.url).href;
    link.dataset.livePresent = "1";
    document.head.appendChild(link);
  }
  if (root.classList.contains(CLASS) !== on) {
    root.classList.toggle(CLASS, on);
    window.dispatchEvent(new Event("resize")); // charts re-measure their columns
  }
  return () => {};
}
