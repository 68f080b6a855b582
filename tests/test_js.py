"""The browser code's own checks, run by the README's single test command: every static/live/*.js
parses (``node --check``) and the node unit tests of its pure helpers pass (``node --test``:
tests/js/*.test.mjs — ticks, number formatting, CJK wrapping, the math mirrors against integrals).

Node has no npm dependencies here. Locally the tests skip (with the reason) when node is missing;
under CI (``CI=true``) they fail instead, so CI can never pass without running them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIVE = ROOT / "static" / "live"
MODULES = sorted(LIVE.glob("*.js"))
UNIT_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(
                "node is not installed (apt-get install nodejs): the JS checks cannot run under CI", pytrace=False
            )
        pytest.skip("node is not installed (apt-get install nodejs)")
    return path


def test_the_live_modules_are_es_modules_to_node():
    """static/live/package.json makes node read *.js there as ES modules, as the browser does."""
    assert (LIVE / "package.json").read_text(encoding="utf-8").strip() == '{ "type": "module" }'
    assert MODULES and UNIT_TESTS


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_module_parses(node, module):
    result = subprocess.run([node, "--check", str(module)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_node_unit_tests_pass(node):
    result = subprocess.run(
        [node, "--test", *map(str, UNIT_TESTS)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout
