// How a live view meets Streamlit (ui/live/__init__.py mounts it): one view object per component
// instance, updated with each rerun's data, reporting a finished gesture once, torn down on unmount.

/** A stylesheet of static/live/ (default: the shared live.css), linked into a view's root once. */
export function adoptStyles(root, file = "live.css") {
  const href = new URL(`./${file}`, import.meta.url).href;
  if (root.querySelector && [...root.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  root.appendChild(link);
}

/** A view's data dict: ui/live.mount sends it wrapped in a one-item list (plain JSON, no pandas). */
export function viewData(component) {
  const { data } = component;
  return Array.isArray(data) ? data[0] : data;
}

/** One live view per component instance: created on first mount, updated with each rerun's data.
 * ``create(root)`` returns an object with ``update(data)`` and ``destroy()``; it gets ``report(values)``. */
export function mountOnce(component, create) {
  const { parentElement } = component;
  let view = parentElement.__liveView;
  if (!view) {
    adoptStyles(parentElement);
    view = create(parentElement);
    parentElement.__liveView = view;
  }
  view.report = (values) => {
    window.__liveRelease = performance.now(); // benchmarks: a release starts the settling rerun
    // Streamlit does not rerun for a state value equal to the last one; a preset may have moved the
    // page since, so every gesture is new (Python reads the names it knows and ignores "gesture").
    component.setStateValue("release", { ...values, gesture: Date.now() });
  };
  view.update(viewData(component));
  // Streamlit may call the cleanup of an earlier, superseded mount after a later one ran: only
  // the latest mount's cleanup (the real unmount) tears the view down.
  const generation = (view.generation = (view.generation || 0) + 1);
  return () => {
    if (parentElement.__liveView !== view || view.generation !== generation) return;
    view.destroy();
    delete parentElement.__liveView;
  };
}

/** base64 → Float64Array (little-endian float64, as ui.live.pack_float64 writes it). */
export function decodeFloat64(b64) {
  const bin = atob(b64);
  const view = new DataView(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
  const out = new Float64Array(bin.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}
