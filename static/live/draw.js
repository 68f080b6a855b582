// Live view of the drawing page: a pad you draw a digit on (mouse, touch, pen, or the keyboard).
// Every frame, in the browser: MNIST-style preprocessing (preprocess.js), the encoder q_φ(z|x)
// (model.js) — its mean and 2σ ellipse move on the latent map (latent_map.js) — and the decoder's
// reconstruction at μ. On stroke end the 28×28 binary digit goes to Python once (`draw`), which
// computes the exact ledger. Input events only record points; drawing happens once per frame.

import { Plot } from "./plot.js";
import { fmt } from "./format.js";
import { adoptStyles, mountOnce } from "./mount.js";
import { Readout, button, el } from "./controls.js";
import { loadModel } from "./model.js";
import { CURRENT, digitCanvas, drawLatentMap, loadCodes, mapPanel } from "./latent_map.js";
import { BRUSH, RASTER, Raster, binarize, pack, toMnist, unpack } from "./preprocess.js";

const PAD_MAX = 340; // CSS px
const KEY_STEP = 0.02, KEY_STEP_FINE = 0.005; // pad fractions per arrow key press
const MIN_MOVE = 0.002; // closer points are dropped (a held pointer does not pile up points)

function pair(v, d = 3) { return `(${fmt(v[0], d)}, ${fmt(v[1], d)})`; }

class DrawView {
  constructor(root) {
    this.strokes = [];
    this.baseBits = null;
    this.current = null; // the packed digit the page shows numbers for
    this.reported = new Set();
    this.penDown = false;
    this.cursor = [0.5, 0.5];
    this.inked = 0; // points of the last stroke already in the raster
    this.raster = new Raster();
    this.grey = new Float64Array(784);
    this.bits = new Float64Array(784);
    this.q = null;
    this.recon = null;
    this.trail = [];
    this.model = null;
    this.codes = null;
    this.pending = false;

    adoptStyles(root, "draw.css");
    const wrap = el(root, "div", "live-root draw-root");
    const padCol = el(wrap, "div", "draw-pad-col");
    this.pad = el(padCol, "canvas", "draw-pad");
    this.pad.tabIndex = 0;
    this.pad.setAttribute("role", "application"); // keys go to the pad (arrows, Space), not the reader
    this.help = el(padCol, "div", "draw-help");
    this.help.id = "draw-pad-help";
    this.pad.setAttribute("aria-describedby", this.help.id);
    const buttons = el(padCol, "div", "live-buttons");
    this.undoBtn = button(buttons, "", () => this.undo(), { className: "draw-undo" });
    this.clearBtn = button(buttons, "", () => this.clear(), { className: "draw-clear" });
    const figure = el(wrap, "div", "live-figure draw-figure");
    const readouts = el(figure, "div", "live-readouts");
    this.muOut = new Readout(readouts, "μ");
    this.sdOut = new Readout(readouts, "σ");
    this.status = el(readouts, "div", "live-note");
    this.status.setAttribute("aria-live", "polite");
    this.plot = new Plot(figure, { height: 520, minHeight: 300, fit: true, name: "draw", render: (g) => this.render(g) });
    this.listen();
    this.resize = new ResizeObserver(() => this.invalidate());
    this.resize.observe(padCol);
    loadModel().then((m) => { this.model = m; this.dirty = true; this.invalidate(); })
      .catch(() => { this.failed = true; this.invalidate(); });
    loadCodes().then((c) => { this.codes = c; this.invalidate(); }).catch(() => {});
  }

  // --- data from Python ------------------------------------------------------------------------
  update(data) {
    this.data = data;
    const { text, palette } = data;
    this.pad.setAttribute("aria-label", text.pad_aria);
    this.help.textContent = text.pad_help;
    this.undoBtn.textContent = `↶ ${text.undo}`;
    this.clearBtn.textContent = `✕ ${text.clear}`;
    this.undoBtn.setAttribute("aria-label", text.undo_aria);
    this.clearBtn.setAttribute("aria-label", text.clear_aria);
    this.muOut.valueEl.style.color = `color-mix(in srgb, ${palette.q} 65%, black)`; // text: ≥ 4.5:1 contrast
    this.plot.setLabel(text.map_aria);
    if (data.image !== this.current && !this.reported.has(data.image) && !this.penDown) {
      this.start(data.image); // a new digit from outside: a link, an upload
    }
    this.dirty = true; // the server's q may have arrived for the digit on the pad
    this.invalidate();
  }

  start(packed) {
    this.current = packed;
    this.baseBits = unpack(packed);
    this.strokes = [];
    this.trail = [];
    this.raster.redraw([], this.baseBits);
    this.dirty = true;
  }

  // --- input: events only record points and ask for a frame ------------------------------------
  point(e) {
    const r = this.pad.getBoundingClientRect();
    return [Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1), Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1)];
  }

  listen() {
    const pad = this.pad;
    pad.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 && e.pointerType === "mouse") return;
      e.preventDefault();
      pad.setPointerCapture(e.pointerId);
      this.pointerId = e.pointerId;
      this.begin(this.point(e));
    });
    pad.addEventListener("pointermove", (e) => {
      if (!this.penDown || e.pointerId !== this.pointerId) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) this.extend(this.point(ev));
    });
    const end = (e) => { if (this.penDown && e.pointerId === this.pointerId) this.finish(); };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    pad.addEventListener("keydown", (e) => this.key(e));
    pad.addEventListener("focus", () => this.invalidate());
    pad.addEventListener("blur", () => { if (this.penDown && this.pointerId === "key") this.finish(); this.invalidate(); });
  }

  key(e) {
    const step = e.shiftKey ? KEY_STEP_FINE : KEY_STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key];
      this.cursor = [Math.min(Math.max(this.cursor[0] + dx, 0), 1), Math.min(Math.max(this.cursor[1] + dy, 0), 1)];
      if (this.penDown) this.extend(this.cursor, true);
      this.invalidate();
    } else if (e.key === " " || e.key === "Enter") {
      if (this.penDown) this.finish();
      else { this.pointerId = "key"; this.begin([...this.cursor]); }
    } else if (e.key === "Backspace") this.undo();
    else if (e.key === "Delete") this.clear();
    else return;
    e.preventDefault();
  }

  begin(p) {
    if (this.data.starter && this.baseBits && !this.strokes.length && this.current === this.data.image) {
      this.baseBits = null; // the starter digit is only a placeholder: your first stroke starts afresh
      this.raster.clear();
    }
    this.penDown = true;
    this.strokes.push([p]);
    this.inked = 0;
    this.trail = [];
    this.invalidate();
  }

  extend(p, always = false) {
    const stroke = this.strokes[this.strokes.length - 1];
    const last = stroke[stroke.length - 1];
    if (!always && Math.hypot(p[0] - last[0], p[1] - last[1]) < MIN_MOVE) return;
    stroke.push(p);
    this.invalidate();
  }

  finish() {
    this.penDown = false;
    this.pointerId = null;
    this.frame(); // the final picture and q, now
    this.send();
  }

  undo() {
    if (this.penDown || !this.strokes.length) return;
    this.strokes.pop();
    this.raster.redraw(this.strokes, this.baseBits);
    this.inked = this.strokes.length ? this.strokes[this.strokes.length - 1].length : 0;
    this.dirty = true;
    this.trail = [];
    this.frame();
    this.send();
  }

  clear() {
    if (this.penDown) return;
    this.strokes = [];
    this.baseBits = null;
    this.trail = [];
    this.raster.clear();
    this.dirty = true;
    this.invalidate();
  }

  /** Stroke end: the binary digit to Python, once (nothing to send for an empty pad). */
  send() {
    if (!this.bits.some((v) => v > 0)) return;
    const packed = pack(this.bits);
    if (packed === this.current) return;
    this.current = packed;
    this.reported.add(packed);
    this.report({ draw: packed });
  }

  // --- one frame: raster, preprocessing, encoder, decoder, pictures ----------------------------
  invalidate() {
    if (this.pending || this.destroyed) return;
    this.pending = true;
    this.raf = requestAnimationFrame(() => { this.pending = false; this.frame(); });
  }

  frame() {
    const stroke = this.strokes[this.strokes.length - 1];
    if (stroke && this.inked < stroke.length) {
      for (let i = this.inked; i < stroke.length; i++) this.raster.addPoint(stroke, i);
      this.inked = stroke.length;
      this.dirty = true;
    }
    if (this.dirty) {
      this.dirty = false;
      if (!this.strokes.length && this.baseBits) {
        // a digit from outside (the starter, a link, an upload) is already the model's 28×28 binary
        // input: the pad encodes it as it is — the ledger's digit — not its picture preprocessed again
        this.grey = Float64Array.from(this.baseBits);
        this.bits.set(this.baseBits);
      } else {
        this.grey = toMnist(this.raster.ink);
        binarize(this.grey, this.bits);
      }
      const any = this.bits.some((v) => v > 0);
      if (this.model && any) {
        const server = this.penDown ? null : this.serverQ();
        if (server) {
          this.q = { mu: [...server.mu], sd: [...server.sd] };
        } else {
          this.q = this.model.encode(this.bits);
          this.q.sd = this.q.logvar.map((v) => Math.exp(0.5 * v));
        }
        this.recon = this.model.decode(this.q.mu);
        if (this.penDown) this.trail.push([...this.q.mu]);
      } else if (!any) { this.q = null; this.recon = null; }
    }
    this.drawPad();
    this.plot.draw();
  }

  /** The server's q for the digit on the pad, if it has sent it: at rest the pad shows the ledger's
   *  numbers (float32 weights); while drawing, its own encoder's (rounded weights: μ may differ
   *  in the third decimal — vae_core/export_browser.py). */
  serverQ() {
    const q = this.data && this.data.q;
    return q && q.image === pack(this.bits) ? q : null;
  }

  drawPad() {
    const width = Math.floor(Math.min(this.pad.parentElement.clientWidth, PAD_MAX));
    if (width < 10) return;
    const dpr = window.devicePixelRatio || 1;
    if (this.pad.width !== Math.round(width * dpr)) {
      this.pad.width = this.pad.height = Math.round(width * dpr);
      this.pad.style.width = this.pad.style.height = `${width}px`;
    }
    const ctx = this.pad.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, width, width);
    if (this.baseBits) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(digitCanvas(this.baseBits, this.baseCanvas ||= document.createElement("canvas")), 0, 0, width, width);
    }
    // the strokes exactly as the raster inks them: round caps and joins, brush radius + ½ pixel
    ctx.strokeStyle = ctx.fillStyle = "#fff";
    ctx.lineWidth = ((2 * BRUSH + 1) / RASTER) * width;
    ctx.lineCap = ctx.lineJoin = "round";
    for (const s of this.strokes) {
      ctx.beginPath();
      s.forEach(([x, y], i) => ctx[i ? "lineTo" : "moveTo"](x * width, y * width));
      if (s.length === 1) ctx.lineTo(s[0][0] * width + 0.01, s[0][1] * width);
      ctx.stroke();
    }
    const text = this.data.text;
    if (!this.strokes.length && !this.baseBits) {
      ctx.fillStyle = "rgba(255,255,255,0.55)";
      ctx.font = `${width < 300 ? 15 : 17}px "Source Sans Pro", "Noto Sans CJK SC", sans-serif`;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(text.empty, width / 2, width / 2);
    }
    if (document.activeElement === this.pad || this.pad.getRootNode().activeElement === this.pad) {
      const [cx, cy] = this.cursor;
      ctx.strokeStyle = this.penDown ? CURRENT : "rgba(255,255,255,0.8)";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(cx * width, cy * width, ctx.lineWidth + (BRUSH / RASTER) * width, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  // --- the figure: what the model sees, the reconstruction, q on the latent map -----------------
  /** Sizes for a canvas `width` wide; with `limit` (presenter mode's fitted height), the map and
   * then the images shrink until the figure fits it. */
  layout(width, limit = Infinity) {
    const fitting = Number.isFinite(limit);
    // Fitting a short screen, a column of 360–560 px also takes the images beside the map (smaller).
    const wide = width >= 560 || (fitting && width >= 360);
    const legend = fitting ? 84 : 56; // presenter mode's 18 px legend wraps onto a third row
    let img = width >= 560 ? 116 : wide ? 80 : Math.min(112, Math.floor((width - 24) / 3));
    let map = wide ? Math.min(width - img - 90, 430) : Math.min(width - 62, 430);
    if (fitting) {
      if (wide) img = Math.max(64, Math.min(img, Math.floor((limit - 10) / 3) - 26));
      map = Math.max(150, Math.min(wide ? width - img - 90 : map, limit - legend - 48 - (wide ? 0 : img + 30)));
    }
    return { wide, img, map, height: wide ? Math.max(map + 48 + legend, 3 * (img + 26) + 10) : img + 30 + map + 48 + legend };
  }

  render(g) {
    const { text, palette } = this.data;
    const natural = this.layout(g.width);
    this.plot.setHeight(natural.height);
    const L = g.height < natural.height ? this.layout(g.width, g.height) : natural; // presenter mode fits
    const th = g.theme;
    const images = [[this.grey, text.grey_label], [this.bits, text.binary_label], [this.recon, text.recon_label]];
    images.forEach(([pixels, label], i) => {
      const x = L.wide ? 0 : i * (L.img + 12);
      const y = L.wide ? i * (L.img + 26) + 20 : 20;
      g.ctx.font = g.font();
      const size = g.fontSize - (g.ctx.measureText(label).width > L.img ? 2 : 0);
      g.text(label, x, y - 6, { color: th.muted, size });
      if (pixels) {
        const c = digitCanvas(pixels, (this.canvases ||= [])[i] ||= document.createElement("canvas"));
        g.ctx.imageSmoothingEnabled = false;
        g.ctx.drawImage(c, x, y, L.img, L.img);
      } else {
        g.ctx.fillStyle = "#000";
        g.ctx.fillRect(x, y, L.img, L.img);
      }
      g.ctx.strokeStyle = th.axis;
      g.ctx.strokeRect(x + 0.5, y + 0.5, L.img - 1, L.img - 1);
    });
    const left = L.wide ? L.img + 70 : 52;
    const top = L.wide ? 12 : L.img + 42;
    const panel = mapPanel(g, { left, top, size: L.map });
    drawLatentMap(panel, this.codes, palette, { dim: true });
    let signature = "—";
    if (this.q) {
      const { mu, sd } = this.q;
      panel.clip();
      if (this.trail.length > 1) {
        panel.line(this.trail.map((p) => p[0]), this.trail.map((p) => p[1]), { color: palette.q, width: 2, alpha: 0.6 });
      }
      panel.hline(mu[1], { color: palette.q, width: 1, dash: [3, 4] });
      panel.vline(mu[0], { color: palette.q, width: 1, dash: [3, 4] });
      panel.ellipse(mu[0], mu[1], 2 * sd[0], 2 * sd[1], { color: palette.q, width: 2, fill: "rgba(255,127,14,0.35)" });
      panel.points([mu[0]], [mu[1]], { color: palette.q, r: 4, stroke: th.dark ? "#000" : "#fff" });
      panel.unclip();
      this.inset(g, panel, mu, sd);
      signature = pair(mu);
      this.muOut.set(signature);
      this.sdOut.set(pair(sd));
    } else {
      this.muOut.set("—");
      this.sdOut.set("—");
    }
    this.status.textContent = this.failed ? text.model_failed : !this.model ? text.loading : this.penDown ? text.drawing
      : this.q ? text.settled : text.empty;
    const legend = [
      { label: text.legend_q, color: palette.q, kind: "marker" },
      { label: text.legend_trail, color: palette.q, width: 2 },
      { label: text.legend_prior, color: palette.prior, kind: "dash" },
    ];
    g.legend(legend, L.wide ? left - 40 : 0, top + L.map + 40, { maxWidth: L.wide ? L.map + 50 : g.width });
    return signature;
  }

  /** q is narrow (σ ≈ 0.02–0.06): a corner inset shows its 1σ and 2σ ellipses to scale, magnified. */
  inset(g, panel, mu, sd) {
    const { text, palette } = this.data;
    const size = Math.round(Math.min(110, panel.width * 0.3));
    const half = Math.max(0.05, 3 * Math.max(sd[0], sd[1]));
    const box = { left: panel.left + panel.width - size - 6, top: panel.top + 6, width: size, height: size };
    const zoom = g.panel(box, [mu[0] - half, mu[0] + half], [mu[1] - half, mu[1] + half]);
    const ctx = g.ctx;
    ctx.save();
    ctx.fillStyle = g.theme.dark ? "rgba(14,17,23,0.92)" : "rgba(255,255,255,0.92)";
    ctx.fillRect(box.left, box.top, size, size);
    ctx.strokeStyle = g.theme.axis;
    ctx.strokeRect(box.left + 0.5, box.top + 0.5, size - 1, size - 1);
    ctx.restore();
    zoom.clip();
    zoom.ellipse(mu[0], mu[1], 2 * sd[0], 2 * sd[1], { color: palette.q, width: 2, fill: "rgba(255,127,14,0.25)" });
    zoom.ellipse(mu[0], mu[1], sd[0], sd[1], { color: palette.q, width: 1.5, dash: [3, 3] });
    zoom.points([mu[0]], [mu[1]], { color: palette.q, r: 2.5 });
    zoom.unclip();
    const factor = Math.round((panel.x[1] - panel.x[0]) / (2 * half));
    g.text(text.inset.replace("{zoom}", String(factor)), box.left + 4, box.top + size - 4,
      { color: g.theme.muted, size: 12 });
  }

  destroy() { this.destroyed = true; cancelAnimationFrame(this.raf); this.resize.disconnect(); this.plot.destroy(); }
}

export function mount(component) {
  return mountOnce(component, (root) => new DrawView(root));
}
