"""What a first visit does not build (issue 22 item 8): the "show code" panel stays empty until it is
opened, so a phone's first visit does not pull Streamlit's code highlighter (1.6 MB).

The bytes themselves are the benchmark's (benchmarks/page_weight.py); here, the server side: no
``st.code`` on a page until its "show code" expander is opened, then every function's source."""

import inspect

from tests.apptest import assert_clean, open_page
from vae_core.gaussian import kl_normal


def test_show_code_is_built_only_when_opened():
    at = open_page("views/gaussian_kl.py")
    assert_clean(at)
    # a closed panel sends no code element, nor the highlighter with it (the share popover's link is
    # an st.code too, but a closed popover mounts nothing: /lesson and home fetch no highlighter)
    assert [c.language for c in at.code] == ["plaintext"]
    assert "gaussian_kl_show_code" in at.session_state and at.session_state["gaussian_kl_show_code"] is False
    at.session_state["gaussian_kl_show_code"] = True  # what opening it in the browser sets
    at.run()
    assert_clean(at)
    sources = [c.value.strip() for c in at.code]
    assert inspect.getsource(kl_normal).strip() in sources
    assert sum(c.language == "python" for c in at.code) == 5  # the five functions page_footer names
