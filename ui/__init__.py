"""ui — helpers shared by the Streamlit pages (i18n, URL state, page registry, layout bits).

Layering: pages → ui → vae_core. Nothing here does math beyond formatting; nothing in
vae_core imports this package.
"""
