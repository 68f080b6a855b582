// The one play loop of the live views (the ELBO ledger's ascent, the Monte Carlo n, the training
// timeline, the latent interpolation): play / pause from a button, one requestAnimationFrame loop
// while playing, stopped by a scrub (the view calls stop()), its end, or the view's destroy().
// Users who ask for reduced motion get the settled picture instead of the animation.

/** True when the user asks for reduced motion (the OS or browser setting). */
export function reducedMotion() {
  return Boolean(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
}

export class Player {
  /**
   * @param {object} hooks
   *   frame(now, dt)  once per animation frame while playing (now: the frame's time, dt: ms since the
   *                   last frame or the start); return false when the animation has reached its end;
   *   end()           after frame() returned false (the view reports where it ended);
   *   paused()        after toggle() paused it (the view reports where it stopped);
   *   settle()        play() under reduced motion: show the end at once, no animation;
   *   changed(playing) whenever it starts or stops (button text, aria-pressed).
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.playing = false;
    this.raf = 0;
    this.loop = (now) => {
      if (!this.playing) return;
      const dt = Math.max(0, now - this.last);
      this.last = Math.max(this.last, now);
      if (this.hooks.frame(now, dt) === false) {
        this.stop();
        if (this.hooks.end) this.hooks.end();
        return;
      }
      this.raf = requestAnimationFrame(this.loop);
    };
  }

  play() {
    if (this.playing) return;
    if (reducedMotion()) {
      if (this.hooks.settle) this.hooks.settle();
      return;
    }
    this.playing = true;
    this.started = this.last = performance.now();
    if (this.hooks.changed) this.hooks.changed(true);
    this.raf = requestAnimationFrame(this.loop);
  }

  /** Stop without reporting (a scrub or a drag took over, or new data arrived). */
  stop() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.raf);
    if (this.hooks.changed) this.hooks.changed(false);
  }

  /** The play button: pause (and report) while playing, else play. */
  toggle() {
    if (!this.playing) { this.play(); return; }
    this.stop();
    if (this.hooks.paused) this.hooks.paused();
  }

  destroy() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
  }
}
