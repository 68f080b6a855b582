// A live class on a phone (and the teacher's live vote bars): ui/live/classroom.py mounts it.
//
// It follows the class over plain HTTP (ui/classroom/http.py), never through Streamlit: a long poll
// `GET class/api/<CODE>?wait=20` with the last ETag answers the moment the teacher moves (or after
// 20 s with 304), so an idle phone costs the server nothing and no rerun. Only when the teacher's
// step, page, section, question, round, show/reveal or end changes does it report to Python
// (`setStateValue("moved", …)`: one rerun, which reads the class from the store itself). While the
// tab is hidden it stops polling and catches up the moment it is shown again.
//
// A phone answers with the vote buttons drawn here (POST class/api/<CODE>/vote with an anonymous
// random token kept in localStorage: the same phone voting again changes its answer). Counts appear
// once the teacher shows or reveals them, round 1 and round 2 side by side.

const WAIT_S = 20;
const TOKEN_KEY = "elbo-class-token";
const CSS = `
.lc-bar { font: 0.95rem/1.4 var(--st-font, "Source Sans Pro", sans-serif); color: inherit; display: flex;
  flex-direction: column; gap: 0.5rem; }
.lc-head { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; }
.lc-code { font-weight: 700; letter-spacing: 0.12em; }
.lc-status { opacity: 0.8; }
.lc-bar button { font: inherit; min-height: 44px; padding: 0.35rem 0.9rem; border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.3); background: transparent; color: inherit; cursor: pointer; }
.lc-bar button[aria-pressed="true"] { border-color: #1f77b4; background: rgba(31, 119, 180, 0.12); font-weight: 600; }
.lc-options { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.lc-note { opacity: 0.85; }
.lc-error { color: #d62728; }
.lc-counts { display: grid; grid-template-columns: fit-content(45%) 1fr; gap: 0.25rem 0.75rem; align-items: center; }
.lc-rounds { display: flex; flex-direction: column; gap: 2px; }
.lc-row { display: flex; align-items: center; gap: 0.4rem; }
.lc-fill { height: 0.9rem; background: #1f77b4; border-radius: 2px; min-width: 1px; }
.lc-fill.r2 { background: #ff7f0e; }
.lc-fill.r3 { background: #2ca02c; }
.lc-num { font-variant-numeric: tabular-nums; font-size: 0.85em; }
.lc-legend { font-size: 0.85em; opacity: 0.8; }
.lc-legend.lc-big { font-size: 1.6em; font-weight: 700; opacity: 1; }
.lc-key::before { content: ""; display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.3em;
  vertical-align: -0.05em; border-radius: 2px; background: #1f77b4; }
.lc-key.r2::before { background: #ff7f0e; }
.lc-key.r3::before { background: #2ca02c; }
/* on the projector (presenter mode): bars and counts readable from the back rows */
:host-context(.st-present) .lc-bar, .st-present .lc-bar { font-size: 1.5rem; }
:host-context(.st-present) .lc-fill, .st-present .lc-fill { height: 1.6rem; }
:host-context(.st-present) .lc-num, .st-present .lc-num { font-size: 1em; font-weight: 600; }
:host-context(.st-present) .lc-legend, .st-present .lc-legend { font-size: 1em; opacity: 1; font-weight: 600; }
:host-context(.st-present) .lc-legend.lc-big, .st-present .lc-legend.lc-big { font-size: 1.6em; font-weight: 700; }
:host-context(.st-present) .lc-counts, .st-present .lc-counts { gap: 0.6rem 1rem; }
/* compact: the teacher's bars beside the revealed picture (a narrow column), labelled with the
   options (in the options' size: they replace their list) */
:host-context(.st-present) .lc-bar.lc-compact, .lc-bar.lc-compact { font-size: 1.2rem; gap: 0.2rem; }
:host-context(.st-present) .lc-compact .lc-fill, .lc-compact .lc-fill { height: 0.9rem; }
:host-context(.st-present) .lc-compact .lc-counts, .lc-compact .lc-counts { gap: 0.15rem 0.6rem; }
:host-context(.st-present) .lc-compact .lc-legend, .lc-compact .lc-legend { font-size: 0.75em; font-weight: 400; }
/* the teacher's projector once revealed: the answer, then one stacked bar per round (the right
   option's part green and marked), in the room the options' list had */
.lc-answer { padding: 0.35rem 0.6rem; border-radius: 0.5rem; background: rgba(33, 195, 84, 0.1);
  color: rgb(23, 114, 51); }
.lc-split { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.6rem; align-items: center; }
.lc-stack { display: flex; height: 1.5rem; border-radius: 3px; overflow: hidden; background: rgba(49, 51, 63, 0.08); }
.lc-part { display: flex; align-items: center; justify-content: center; color: #fff; font-size: 0.85em;
  font-weight: 600; font-variant-numeric: tabular-nums; background: #7f7f7f; overflow: hidden; white-space: nowrap;
  min-width: 2.6em; }  /* 1 vote of 120 still shows its count */
.lc-part.o1 { background: #a5a5a5; }
.lc-part.o2 { background: #6b6b6b; }
.lc-part.lc-right { background: #2ca02c; }
.lc-split .lc-legend { font-size: 0.8em; opacity: 1; font-weight: 400; }
/* dock: a phone keeps the class bar (and its "back to the class") at the bottom edge of the screen,
   however far a full page scrolls; the page gets the same room at its end (DOCK_STYLE). */
@media (max-width: 640px) {
  .lc-bar.lc-dock { position: fixed; left: 0; right: 0; bottom: 0; z-index: 999980; margin: 0;
    padding: 0.4rem 0.75rem max(0.4rem, env(safe-area-inset-bottom));
    background: var(--st-background-color, #fff); box-shadow: 0 -1px 6px rgba(0, 0, 0, 0.2); }
  .lc-dock .lc-head { flex-wrap: nowrap; gap: 0.5rem; justify-content: space-between; }
  .lc-dock .lc-status { font-size: 0.85em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
  .lc-dock button { flex: none; }
}
`;

// The page's own room for a docked bar (outside the view's shadow root): its end can scroll above the bar.
const DOCK_STYLE = `@media (max-width: 640px) {
  html.lc-docked [data-testid="stMainBlockContainer"] { padding-bottom: 6rem !important; } }`;

const docked = new Set();  // the docked bars mounted now (one page's bar may unmount after the next one's mounted)
function dockPage(view, on) {
  if (on) docked.add(view);
  else docked.delete(view);
  if (docked.size && !document.getElementById("lc-dock-style")) {
    const style = document.createElement("style");
    style.id = "lc-dock-style";
    style.textContent = DOCK_STYLE;
    document.head.append(style);
  }
  document.documentElement.classList.toggle("lc-docked", docked.size > 0);
}

function viewData(component) {
  const { data } = component;
  return Array.isArray(data) ? data[0] : data;
}

function randomToken() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let memoryToken = null;
function voterToken() {
  try {
    let token = localStorage.getItem(TOKEN_KEY);
    if (!token || !/^[A-Za-z0-9_-]{16,64}$/.test(token)) {
      token = randomToken();
      localStorage.setItem(TOKEN_KEY, token);
    }
    return token;
  } catch {
    return (memoryToken ||= randomToken()); // private browsing without storage: this page's lifetime
  }
}

function remembered(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}
function remember(key, value) {
  try {
    if (value == null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch { /* nothing to keep */ }
}

/** What the page shows depends on these; a change is worth one rerun (Python reads the store). */
export function viewKey(v) {
  return [v.step, v.page, v.section, v.question, v.round, v.voting, v.shown, v.revealed, v.ended].join("|");
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function fill(template, values) {
  return String(template || "").replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : `{${name}}`));
}

class ClassView {
  constructor(parent) {
    this.parent = parent;
    const style = document.createElement("style");
    style.textContent = CSS;
    this.root = el("div", { class: "lc-bar", "data-testid": "live-class" });
    parent.append(style, this.root);
    this.view = null;       // the latest class view from the server
    this.etag = null;
    this.reported = null;   // the last view key reported to Python
    this.message = "";
    this.loopId = 0;
    this.controller = null;
    this.onVisible = () => { if (!document.hidden) this.wake?.(); };
    document.addEventListener("visibilitychange", this.onVisible);
  }

  update(data, component) {
    this.component = component;
    const restart = !this.data || this.data.api !== data.api || this.data.secret !== data.secret;
    this.data = data;
    if (restart) {  // another class (or role): forget everything about the last one
      this.view = null;
      this.reported = null;
      this.message = "";
    }
    if (!this.view || (data.view && data.view.version > this.view.version)) {
      this.view = data.view || null; // what Python rendered: drawn at once, no request needed
      this.etag = this.view ? this.view.etag : null;
    }
    if (restart) this.start();
    this.render();
  }

  start() {
    this.controller?.abort();
    const id = ++this.loopId;
    this.loop(id);
  }

  async loop(id) {
    let failures = 0;
    while (id === this.loopId) {
      if (document.hidden) {
        await new Promise((resolve) => { this.wake = resolve; });
        this.wake = null;
        continue;
      }
      this.controller = new AbortController();
      try {
        const url = new URL(this.data.api, window.location.href);
        url.searchParams.set("wait", String(WAIT_S));
        const headers = {};
        if (this.etag) headers["If-None-Match"] = `"${this.etag}"`;
        if (this.data.secret) headers["X-Class-Secret"] = this.data.secret;
        const response = await fetch(url, { headers, cache: "no-store", signal: this.controller.signal });
        if (id !== this.loopId) return;
        failures = 0;
        if (response.status === 304) continue;
        if (response.status === 404) {
          this.gone();
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.receive(await response.json());
      } catch (error) {
        if (id !== this.loopId) return;
        // the network dropped or a replica restarts: try again, less and less often (at most every 10 s)
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(10000, 250 * 2 ** Math.min(failures, 6))));
      }
    }
  }

  receive(view) {
    this.view = view;
    this.etag = view.etag;
    const rendered = this.data.view;
    const key = viewKey(view);
    const following = this.data.role === "teacher" || this.data.following !== false;
    if (following && (!rendered || (view.version > rendered.version && key !== viewKey(rendered))) &&
        key !== this.reported) {
      this.reported = key;
      this.component.setStateValue("moved", { key, version: view.version });
    }
    this.render();
  }

  gone() {
    this.view = null;
    this.message = this.data.strings?.gone || "";
    this.render();
    if (this.reported !== "gone") {
      this.reported = "gone";
      this.component.setStateValue("moved", { key: "gone", version: -1 });
    }
  }

  async vote(option) {
    const v = this.view;
    const key = `elbo-class-vote:${v.code}:${v.question}:${v.round}`;
    const before = remembered(key);
    remember(key, String(option));
    this.message = "";
    this.render();
    const body = JSON.stringify({ token: voterToken(), question: v.question, round: v.round, option });
    // A vote is keyed by the phone's token, so sending it again is safe: retried when the network or
    // a restarting replica drops it (502-504), refused for good when the class has moved on (4xx).
    for (let attempt = 0; ; attempt += 1) {
      let status = 0;
      try {
        const response = await fetch(new URL(`${this.data.api}/vote`, window.location.href), {
          method: "POST", headers: { "Content-Type": "application/json" }, cache: "no-store", body,
        });
        status = response.status;
      } catch { /* offline: status 0 */ }
      if (status >= 200 && status < 300) break;
      if ((status === 0 || status >= 502) && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 400 * 2 ** attempt));
        continue;
      }
      remember(key, before);
      this.message = (status === 0 || status >= 500 ? this.data.strings?.offline : this.data.strings?.vote_refused) || "";
      break;
    }
    this.render();
  }

  render() {
    const s = this.data.strings || {};
    const v = this.view;
    const teacher = this.data.role === "teacher";
    const nodes = [];
    this.root.classList.toggle("lc-compact", Boolean(this.data.compact));
    this.root.classList.toggle("lc-dock", Boolean(this.data.dock));
    dockPage(this, Boolean(this.data.dock));
    const head = el("div", { class: "lc-head" });
    if (this.data.showHead !== false && v) {
      head.append(el("span", { class: "lc-code" }, fill(s.code, { code: v.code })));
      if (!teacher) {
        const following = this.data.following !== false;
        head.append(el("span", { class: "lc-status" }, following ? s.following : s.exploring));
        head.append(el("button", {
          type: "button", "data-action": following ? "explore" : "follow",
          onclick: () => this.component.setStateValue("following", !following),
        }, following ? s.explore : s.back));
      }
      nodes.push(head);
    }
    if (!v) {
      nodes.push(el("div", { class: "lc-error", role: "alert" }, this.message || s.gone || ""));
    } else if (v.ended) {
      nodes.push(el("div", { class: "lc-note", role: "status" }, s.ended));
    } else if (v.question && this.data.labels && this.data.labels.length === v.options) {
      const labels = this.data.labels;
      if (teacher && this.data.compact && v.revealed && v.counts && this.data.answer != null) {
        nodes.push(this.outcome(v, labels, s));
        this.root.replaceChildren(...nodes);
        return;
      }
      if (!teacher && v.voting && this.data.question === v.question) {
        const chosen = remembered(`elbo-class-vote:${v.code}:${v.question}:${v.round}`);
        nodes.push(el("div", { class: "lc-note" }, fill(v.round > 1 ? s.vote_again : s.vote, { round: v.round })));
        const group = el("div", { class: "lc-options", role: "group", "aria-label": s.vote || "" });
        labels.forEach((label, i) => group.append(el("button", {
          type: "button", "aria-pressed": String(chosen === String(i)), "data-option": String(i),
          onclick: () => this.vote(i),
        }, label)));
        nodes.push(group);
        if (chosen != null) nodes.push(el("div", { class: "lc-note", role: "status" }, s.voted));
      }
      // the projector shows how many answered; the bars only once the teacher shows or reveals them
      if (v.counts && (!teacher || v.shown || v.revealed)) nodes.push(this.bars(v, labels, s));
      else if (v.counts) nodes.push(this.answered(v, s, true));
      else if (!teacher && !v.voting) nodes.push(el("div", { class: "lc-note" }, s.wait));
    }
    if (this.message && v) nodes.push(el("div", { class: "lc-error", role: "alert" }, this.message));
    this.root.replaceChildren(...nodes);
  }

  bars(v, labels, s) {
    const rounds = Object.keys(v.counts).sort();
    const most = Math.max(1, ...rounds.flatMap((r) => v.counts[r]));
    const grid = el("div", { class: "lc-counts", "data-testid": "live-class-counts" });
    labels.forEach((label, i) => {
      const cell = el("div", { class: "lc-rounds" });
      for (const r of rounds) {
        const n = v.counts[r][i] || 0;
        cell.append(el("div", { class: "lc-row", "aria-label": fill(s.count, { round: r, n }) },
          el("div", { class: `lc-fill r${r}`, style: `width: ${(100 * n / most).toFixed(1)}%` }),
          el("span", { class: "lc-num", "data-round": r, "data-option": String(i) }, String(n))));
      }
      grid.append(el("div", {}, label), cell);
    });
    return el("div", {}, grid, this.answered(v, s));
  }

  /** The projector after the reveal: the answer, and per round how the class split (the right part green). */
  outcome(v, labels, s) {
    const box = el("div", { class: "lc-split", "data-testid": "live-class-outcome" });
    for (const r of Object.keys(v.counts).sort()) {
      const counts = v.counts[r];
      const total = counts.reduce((a, b) => a + b, 0);
      const stack = el("div", { class: "lc-stack" });
      counts.forEach((n, i) => {
        if (!n) return;
        const right = i === this.data.answer;
        const title = `${labels[i]}: ${n}`;
        stack.append(el("div", {
          class: right ? "lc-part lc-right" : `lc-part o${i % 3}`, style: `flex: ${n} 1 0`,
          title, "aria-label": title, "data-option": String(i), ...(right ? { "data-answer": "true" } : {}),
        }, right ? `✓ ${n}` : String(n)));
      });
      box.append(el("div", { class: "lc-legend" }, fill(s.answered, { round: r, n: v.answered?.[r] ?? total })), stack);
    }
    return el("div", { class: "lc-bar-outcome" }, el("div", { class: "lc-answer", role: "status" }, this.data.answerText || ""), box);
  }

  answered(v, s, big = false) {
    const rounds = Object.keys(v.counts).sort();
    const legend = el("div", { class: big ? "lc-legend lc-big" : "lc-legend", "data-testid": "live-class-answered" });
    rounds.forEach((r, i) => {  // with two rounds, each round's colour keys its bars
      if (i) legend.append(" · ");
      legend.append(el("span", { class: rounds.length > 1 ? `lc-key r${r}` : "" },
        fill(s.answered, { round: r, n: v.answered?.[r] ?? 0 })));
    });
    return legend;
  }

  destroy() {
    this.loopId += 1;
    this.controller?.abort();
    this.wake?.();
    document.removeEventListener("visibilitychange", this.onVisible);
    dockPage(this, false);
  }
}

// The same mark as mount.js's mountOnce (`parentElement.__liveView`): the harness counts a view as mounted by it.
export function mount(component) {
  const { parentElement } = component;
  let view = parentElement.__liveView;
  if (!view) {
    view = new ClassView(parentElement);
    parentElement.__liveView = view;
  }
  view.update(viewData(component) || {}, component);
  const generation = (view.generation = (view.generation || 0) + 1);
  return () => {
    if (parentElement.__liveView !== view || view.generation !== generation) return;
    view.destroy();
    delete parentElement.__liveView;
  };
}
