"""Security properties: HTML, pickles, checksums, XSRF and file paths, checked on behaviour where
they can be and on the source and config where they cannot."""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UI_FILES = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]
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


@pytest.mark.parametrize("tamper", ["flip one byte", "append bytes", "other checksum in the card"])
def test_tampered_weights_are_refused_before_torch_load_runs(tmp_path, monkeypatch, tamper):
    """A weights file that does not match the model card's sha256 never reaches ``torch.load``."""
    import shutil

    import torch

    from vae_core import checkpoint

    if not (checkpoint.MODEL_DIR / checkpoint.WEIGHTS_NAME).is_file():
        pytest.skip("the shipped model files are not in this checkout")
    folder = tmp_path / "model"
    shutil.copytree(checkpoint.MODEL_DIR, folder)
    weights, card = folder / checkpoint.WEIGHTS_NAME, folder / checkpoint.CARD_NAME
    if tamper == "flip one byte":
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.write_bytes(bytes(data))
    elif tamper == "append bytes":
        weights.write_bytes(weights.read_bytes() + b"\0" * 16)
    else:
        card.write_text(
            card.read_text(encoding="utf-8").replace('"weights_sha256": "', '"weights_sha256": "0'), encoding="utf-8"
        )
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: calls.append(args) or real_load(*args, **kwargs))
    with pytest.raises(checkpoint.CheckpointError, match="checksum"):
        checkpoint.load_checkpoint(folder)
    assert calls == []


def test_untampered_weights_do_reach_torch_load(monkeypatch):
    """The control for the test above: the recording stub does see a real load."""
    import torch

    from vae_core import checkpoint

    if not (checkpoint.MODEL_DIR / checkpoint.WEIGHTS_NAME).is_file():
        pytest.skip("the shipped model files are not in this checkout")
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: calls.append(args) or real_load(*args, **kwargs))
    checkpoint.load_checkpoint(checkpoint.MODEL_DIR)
    assert len(calls) == 1


def test_xsrf_protection_stays_on():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config.get("server", {}).get("enableXsrfProtection", True) is True
    assert config.get("server", {}).get("enableCORS", True) is True


FILE_READERS = {
    "open",
    "Path",
    "read_text",
    "read_bytes",
    "load",
    "loadtxt",
    "genfromtxt",
    "load_checkpoint",
    "load_model_card",
    "load_digits",
    "load_holdout_binary",
    "from_file",
    "imread",
}


def test_ui_never_passes_query_params_to_a_file_reader():
    """No call that opens a file has an argument built from ``st.query_params`` — directly, or through a
    name assigned from it in the same file (wherever the call's lines break)."""
    for path in UI_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tainted, before = {"query_params"}, set()
        while tainted != before:  # names assigned from an expression that mentions the URL, to a fixpoint
            before = set(tainted)
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                    if _mentions(node.value, tainted):
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        tainted |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        for call in _calls_in(tree):
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            if name in FILE_READERS:
                arguments = [*call.args, *(kw.value for kw in call.keywords)]
                assert not any(_mentions(a, tainted) for a in arguments), f"{path.name}:{call.lineno}"


def _calls_in(tree):
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def _mentions(node, names: set[str]) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in names) or (isinstance(n, ast.Attribute) and n.attr in names)
        for n in ast.walk(node)
    )


def test_path_like_url_values_are_never_opened(monkeypatch):
    """Every page, with a path in every URL parameter it owns: no file whose name holds that path is opened."""
    import builtins
    import io

    from tests.apptest import open_page, rendered
    from ui.registry import built_pages

    marker = "../../../tmp/url-marker"
    opened = []
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    for page in built_pages():
        names = sorted(set(rendered(page.file, "en").query_params) - {"lang"})
        monkeypatch.setattr(builtins, "open", recording_open)
        monkeypatch.setattr(io, "open", recording_open)
        try:
            at = open_page(page.file, "en", **dict.fromkeys(names, marker))
        finally:
            monkeypatch.undo()
        assert not at.exception, page.slug
        assert not [f for f in opened if "url-marker" in f], page.slug
    assert opened, "the recording stub saw no file at all"
