"""Short deep links to a section: ``?section=<anchor>`` scrolls that section's heading into view
(static/live/section.js). Headings get their anchor with ``st.subheader(..., anchor=name)``."""

from __future__ import annotations

import re

from ui.live import register

SECTION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_SCROLL = register("section")


def scroll_to(section: str | None) -> bool:
    """Scroll to the heading ``section`` once the page has rendered; False for a malformed name."""
    if not section or not SECTION_NAME.match(section):
        return False
    _SCROLL(key="live_section", data={"section": section}, height=0)
    return True
