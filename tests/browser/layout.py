"""Layout conditions shared by the browser tests (evaluated in the page)."""

# A live view whose chart (over 150 px tall) and whose own controls above it are all on the screen.
INSIDE_JS = """() => {
  // half a pixel either way: a scroll can leave a box at a fractional place (a top at −0.3 px)
  const inside = (r) => r.top >= -0.5 && r.bottom <= innerHeight + 0.5 && r.left >= -0.5 && r.right <= innerWidth + 0.5;
  for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
    const chart = host.shadowRoot && host.shadowRoot.querySelector('canvas.live-plot, canvas.draw-pad');
    if (!chart) continue;
    const r = chart.getBoundingClientRect();
    if (r.height > 150 && inside(r) && inside(host.getBoundingClientRect())) return true;
  }
  return false;
}"""
# The same, or a plotly chart over 150 px tall whole on the screen (the lesson's VAE step shows one).
PICTURE_JS = INSIDE_JS.replace(
    "  return false;",
    """
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.some((c) => { const r = c.getBoundingClientRect(); return r.height > 150 && inside(r); });""",
)
