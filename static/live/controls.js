// Live controls: native range inputs (mouse, touch, pen and arrow keys for free, accessible by
// default) that report every movement to the view and a finished gesture once.
//   - "input" events: the view updates its state and asks for a frame (no rerun);
//   - release: pointer up → report at once; keyboard → report once the keys rest for KEY_REST_MS,
//     so holding an arrow key is one gesture, not one rerun per step.

const KEY_REST_MS = 400;

function decimalsOf(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

export class Slider {
  /**
   * @param {HTMLElement} parent
   * @param {object} o  {name, label, aria, min, max, step, value, color, format(v), onInput(v), onRelease()}
   */
  constructor(parent, o) {
    this.o = o;
    this.decimals = decimalsOf(o.step);
    this.root = document.createElement("div");
    this.root.className = "live-slider";
    this.head = document.createElement("div");
    this.head.className = "live-slider-head";
    this.labelEl = document.createElement("span");
    this.valueEl = document.createElement("span");
    this.valueEl.className = "live-slider-value";
    this.head.append(this.labelEl, this.valueEl);
    this.input = document.createElement("input");
    this.input.type = "range";
    this.input.dataset.name = o.name;
    Object.assign(this.input, { min: o.min, max: o.max, step: o.step });
    if (o.color) this.input.style.setProperty("--accent", o.color);
    this.root.append(this.head, this.input);
    parent.appendChild(this.root);
    this.dragging = false;
    this.timer = null;
    this.setLabel(o.label, o.aria);
    this.set(o.value);

    this.input.addEventListener("input", () => {
      this.value = this.read();
      this.showValue();
      o.onInput(this.value);
    });
    // A pointer gesture reports on pointerup; the "change" event that the browser fires around
    // it (before or after, depending on the browser) must not report the same gesture again.
    this.pointerGesture = false;
    const release = () => {
      if (!this.dragging) return;
      this.dragging = false;
      this.pointerGesture = true;
      clearTimeout(this.timer);
      o.onRelease();
    };
    this.input.addEventListener("pointerdown", () => { this.dragging = true; this.pointerGesture = false; });
    this.input.addEventListener("pointerup", release);
    this.input.addEventListener("pointercancel", release);
    this.input.addEventListener("change", () => {
      if (this.dragging) return; // the pointerup that follows reports
      if (this.pointerGesture) { this.pointerGesture = false; return; }
      clearTimeout(this.timer);
      this.timer = setTimeout(() => o.onRelease(), KEY_REST_MS);
    });
  }

  read() { return Number(Number(this.input.value).toFixed(this.decimals)); }

  setLabel(label, aria) {
    this.labelEl.textContent = label;
    this.input.setAttribute("aria-label", aria || label);
  }

  showValue() {
    const text = this.o.format ? this.o.format(this.value) : this.value.toFixed(this.decimals).replace("-", "\u2212");
    const pct = (100 * (this.value - this.o.min)) / (this.o.max - this.o.min);
    this.input.style.setProperty("--pct", `${pct}%`);
    this.valueEl.textContent = text;
    this.input.setAttribute("aria-valuetext", text);
  }

  /** Move the control to ``value`` from outside (a rerun's data), unless the user is dragging it. */
  set(value) {
    if (this.dragging) return;
    this.value = value;
    this.input.value = String(value);
    this.showValue();
  }

  /** A pending key-rest report is dropped with the view. */
  destroy() { clearTimeout(this.timer); }
}

/** A readout styled like st.metric: a label (the math) and a large number. */
export class Readout {
  constructor(parent, label, { color } = {}) {
    this.root = document.createElement("div");
    this.root.className = "live-readout";
    const l = document.createElement("div");
    l.className = "live-readout-label";
    l.textContent = label;
    this.valueEl = document.createElement("div");
    this.valueEl.className = "live-readout-value";
    if (color) this.valueEl.style.color = color;
    this.root.append(l, this.valueEl);
    parent.appendChild(this.root);
    this.labelEl = l;
  }

  set(text) { if (this.valueEl.textContent !== text) this.valueEl.textContent = text; }

  setLabel(text) { this.labelEl.textContent = text; }
}

/** A small button (play, pause, step, presets). */
export function button(parent, text, onClick, { aria, className = "" } = {}) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `live-button ${className}`.trim();
  b.textContent = text;
  if (aria) b.setAttribute("aria-label", aria);
  b.addEventListener("click", onClick);
  parent.appendChild(b);
  return b;
}

export function el(parent, tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  parent.appendChild(e);
  return e;
}
