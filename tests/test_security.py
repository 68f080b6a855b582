"""Security properties from issue 6, checked on the source and the config."""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
LIB_FILES = sorted((ROOT / "vae_core").glob("*.py"))


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            yield node


def test_no_raw_html_anywhere_in_the_ui():
    """User-controlled text (URL values) must never reach the page as HTML."""
    for path in UI_FILES:
        for call in _calls(path):
            for kw in call.keywords:
                assert kw.arg != "unsafe_allow_html", f"{path.name}:{call.lineno} uses unsafe_allow_html"
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            assert name not in ("html", "components_html"), f"{path.name}:{call.lineno} renders raw HTML"


def test_every_torch_load_is_weights_only():
    for path in LIB_FILES + UI_FILES:
        for call in _calls(path):
            if getattr(call.func, "attr", "") == "load" and getattr(call.func.value, "id", "") == "torch":
                flags = {kw.arg: kw.value for kw in call.keywords}
                assert "weights_only" in flags and getattr(flags["weights_only"], "value", None) is True, (
                    f"{path.name}:{call.lineno}: torch.load without weights_only=True"
                )


def test_weights_are_checked_before_loading():
    import inspect

    from vae_core.checkpoint import load_checkpoint

    source = inspect.getsource(load_checkpoint)
    body = source[source.index('"""', source.index('"""') + 3):]  # after the docstring
    assert body.index("file_sha256(weights") < body.index("torch.load(")


def test_xsrf_protection_stays_on():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config.get("server", {}).get("enableXsrfProtection", True) is True
    assert config.get("server", {}).get("enableCORS", True) is True


def test_ui_never_opens_paths_from_query_params():
    """The pages read files only from fixed asset locations; nothing takes a path from the URL."""
    for path in UI_FILES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(open|Path|read_text|read_bytes|np\.load|torch\.load)\([^)]*query_params", text), path
