// Short deep links to a section (`?section=ledger`): once the page has rendered, scroll the heading
// whose anchor is that name into view. Once per page load and section; Streamlit renders
// asynchronously, so it waits (up to 15 s) for the heading to appear.

let done = "";

export function mount(component) {
  const name = component.data && component.data.section;
  if (!name || done === name) return () => {};
  done = name;
  const started = performance.now();
  const tryScroll = () => {
    const target = document.getElementById(name);
    if (target) {
      target.scrollIntoView({ block: "start", behavior: "auto" });
      return;
    }
    if (performance.now() - started < 15000) setTimeout(tryScroll, 100);
  };
  tryScroll();
  return () => {};
}
