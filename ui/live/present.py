"""Presenter mode's page-wide switch: a live component with no visible element that puts a class
on the page (static/live/present.js) and links static/live/present.css."""

from __future__ import annotations

from ui.live import register

_SWITCH = register("present")


def presenter_switch(on: bool) -> None:
    """Apply or remove presenter mode on the page (call once per run, from app.py)."""
    _SWITCH(key="live_present", data={"on": bool(on)}, height=0)
