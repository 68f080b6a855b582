// The skeleton of a slider view (kl.js, jensen.js, reparam.js, ledger.js): sliders for a page's
// URL-state parameters (ui.live.state_view sends their values and ranges); moving one redraws at
// every frame without a word to the server; a rerun's values move the sliders unless one is being
// dragged; a release reports the values once (one rerun). A subclass builds its DOM and its Plot in
// its constructor, its sliders in build(data) with addSlider(), labels in update(), draws in render(g).

import { Slider } from "./controls.js";

/** An axis range that only grows while a control moves (the chart holds still during a drag) and
 * fits again after release: fit(lo, hi, {grow}). */
export class HeldRange {
  constructor() { this.lo = null; this.hi = null; }

  fit(lo, hi, { grow = false } = {}) {
    if (this.lo === null || !grow) { [this.lo, this.hi] = [lo, hi]; return this; }
    this.lo = Math.min(this.lo, lo);
    this.hi = Math.max(this.hi, hi);
    return this;
  }

  get span() { return [this.lo, this.hi]; }
}

export class SliderView {
  constructor() {
    this.data = null;
    this.values = null; // what the view shows: the sliders' values (the rerun's until a drag)
    this.dragging = false;
    this.refit = false; // the next frame fits its axes afresh (else they only grow)
    this.sliders = {};
  }

  /** A live slider for the parameter ``name`` at data.values[name] in data.ranges[name]. */
  addSlider(parent, data, name, { label, aria, color, format } = {}) {
    const r = data.ranges[name];
    this.sliders[name] = new Slider(parent, {
      name, label, aria, min: r.lo, max: r.hi, step: r.step, value: data.values[name], color, format,
      onInput: (v) => { this.values[name] = v; this.dragging = true; this.moved(name, v); this.plot.invalidate(); },
      onRelease: () => this.release(),
    });
    return this.sliders[name];
  }

  /** A slider moved (a subclass may stop an animation). */
  moved() {}

  /** The values a rerun brings (default: all of data.values). */
  incoming(data) { return { ...data.values }; }

  /** Whether the view keeps its own values over the rerun's (besides a drag): e.g. while playing. */
  busy() { return false; }

  /** Take a rerun's values: the view's state and its sliders. */
  adopt(values) {
    this.values = values;
    for (const [name, slider] of Object.entries(this.sliders)) if (name in values) slider.set(values[name]);
  }

  /** A rerun's data. Builds the sliders on the first call; takes the rerun's values when they differ
   * (or ``force``) and no control is held (new values: the axes fit afresh). Returns whether they differed. */
  update(data, { force = false } = {}) {
    this.data = data;
    if (!this.values) this.build(data);
    const incoming = this.incoming(data);
    const changed = !this.values || Object.keys(incoming).some((n) => this.values[n] !== incoming[n]);
    if ((changed || force) && !this.dragging && !this.busy()) {
      this.adopt(incoming);
      if (changed) this.refit = true;
    }
    this.plot.invalidate();
    return changed;
  }

  /** What a release reports (default: the sliders' values). */
  reported() { return { ...this.values }; }

  /** A slider was released: fit the axes again and report once. */
  release() {
    this.dragging = false;
    this.refit = true;
    this.plot.invalidate();
    this.report(this.reported());
  }

  /** ``grow`` for this frame's HeldRange fits: false once after a release or a rerun, else true. */
  takeRefit() {
    const grow = !this.refit;
    this.refit = false;
    return grow;
  }

  destroy() {
    for (const slider of Object.values(this.sliders)) slider.destroy();
    this.plot.destroy();
  }
}
