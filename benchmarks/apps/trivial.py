"""The reference for every latency ratio: one slider and the value it produces.

Run twice by the benchmarks in the same run: once with Streamlit's defaults (from a temporary
directory, so the project's .streamlit/config.toml does not apply) and once under the project's
config (the "floor": runner.postScriptGC = false).
"""

import streamlit as st

value = st.slider("x", 0, 100, 50)
st.write(f"x = {value}")
