// Test instrumentation, off for every learner: active only when a test or benchmark sets
// ``window.__LIVE_TEST__ = true`` before the page loads (Playwright: context.add_init_script). Then
// window.__liveStats[name] holds each plot's draw count, draw times (the last 2000) and the set of
// its render signatures, and views may expose their numbers (``TESTING``).

export const TESTING = typeof window !== "undefined" && window.__LIVE_TEST__ === true;

/** Count a plot's frame and remember its signature (only under test). */
export function recordFrame(name, signature) {
  if (!TESTING) return;
  const all = (window.__liveStats ||= {});
  const s = (all[name] ||= { frames: 0, times: [], signatures: new Set() });
  s.frames += 1;
  s.times.push(performance.now());
  if (s.times.length > 2000) s.times.splice(0, s.times.length - 2000);
  if (signature !== undefined) s.signatures.add(signature);
}
