"""Short deep links to a section: ``?section=<anchor>`` scrolls that section's heading into view
(static/live/section.js). Headings get their anchor with ``st.subheader(..., anchor=name)``."""

from __future__ import annotations

import re

from ui.live import register

SECTION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_SCROLL = register("section")


def scroll_to(section: str | None, *, exact: bool = False) -> bool:
    """Scroll to the heading ``section`` once the page has rendered; False for a malformed name.
    ``exact``: the heading at the very top (a lesson step on the projector needs those pixels), not
    merely near it."""
    if not section or not SECTION_NAME.match(section):
        return False
    data = {"section": section, "slack": 8 if exact else 80}  # px the heading may sit below the top
    _SCROLL(key="live_section", data=[data], height=0)  # a list: see ui.live.mount
    return True
