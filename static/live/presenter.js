// Presenter mode (present=1): present.js puts PRESENT_CLASS on the page; every live view asks
// ``presenting()`` (never the class itself). Charts then draw their text at 18 px, and a Plot made
// with ``fit: true`` takes a height that keeps the whole view on one screen (``fitToScreen``).

export const PRESENT_CLASS = "st-present";

/** True in presenter mode. */
export function presenting() {
  return document.documentElement.classList.contains(PRESENT_CLASS);
}

/** The chart text size: 14 px, 18 px in presenter mode (readable from the back of a lecture hall). */
export function chartFontSize() {
  return presenting() ? 18 : 14;
}

/** The height a ``fit`` plot draws at in presenter mode: one that keeps the whole view (the canvas
 * and the view's own controls, readouts and notes around it) on one screen. Where the room below the
 * chart on the page's first screen is at least its minHeight, it takes just that room instead, so the
 * screen shows it whole without scrolling (a lesson step). Measured at every draw from the page's top,
 * not the window's: content above that arrives late moves the chart and is followed; scrolling
 * changes nothing. Returns {height, place}: ``place`` says where the chart sat (see watchMoves). */
export function fitToScreen(canvas, container, height, minHeight = 260) {
  const { top, bottom } = canvas.getBoundingClientRect();
  const host = canvas.getRootNode().host || container; // the view's element on the page
  const view = host.getBoundingClientRect();
  const under = Math.max(0, view.bottom - bottom); // the view's own notes or buttons below the chart
  const screen = Math.min(height, Math.round(window.innerHeight - (top - view.top) - under - 16));
  const scroller = host.closest('[data-testid="stMain"]'); // Streamlit's scrolling main area
  const pageTop = top + (scroller ? scroller.scrollTop : 0) + window.scrollY;
  const place = [pageTop, top - view.top, under].map(Math.round).join("|");
  const here = Math.round(window.innerHeight - pageTop - under - 12);
  return { place, height: Math.max(minHeight, Math.min(height, here >= minHeight ? Math.min(here, screen) : screen)) };
}

/** Content above a fitted chart (a stale element leaving, a note arriving) may move it after its
 * last draw: for 6 s after each draw, every 300 ms, ``moved()`` is asked and ``redraw()`` called
 * once it says the chart moved. Returns a function that cancels the watch. */
export function watchMoves(alive, moved, redraw) {
  let checks = 20;
  let timer = null;
  const check = () => {
    if (!alive() || checks-- <= 0) return;
    if (moved()) redraw();
    else timer = setTimeout(check, 300);
  };
  timer = setTimeout(check, 300);
  return () => clearTimeout(timer);
}
