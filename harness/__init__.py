"""The browser harness shared by the tests (tests/browser/), the benchmarks and scripts/:

- ``harness.server``: start ``streamlit run`` on a free port, find Debian's Chromium;
- ``harness.browser``: launch Chromium, make contexts (always with ``window.__LIVE_TEST__ = true``),
  wait until a page has settled on the app's own signals (no quiet periods), screenshot a page;
- ``harness.live``: call a static/live module in the page, count what the page sends, drag a control.
"""
