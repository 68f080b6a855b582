"""Project hygiene that keeps the README and CI true: commands, pins, config, imports."""

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    commands = readme_commands()
    test_command = next(c for c in commands if c.rstrip().endswith("pytest"))
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert any(c.rstrip().endswith("streamlit run app.py") for c in commands)


def test_streamlit_config_has_the_deliberate_keys():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
    assert config["runner"]["magicEnabled"] is False
    assert config["browser"]["gatherUsageStats"] is False


def _requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s<>=!~;@\[]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_runtime_imports_are_exactly_the_requirements():
    """Every third-party module the app imports is pinned, and nothing unused is listed."""
    stdlib = set(sys.stdlib_module_names)
    local = {"ui", "vae_core", "views", "tests", "deploy"}  # deploy: app.py's StaticGzip middleware
    imported = set()
    files = [ROOT / "app.py", *(p for d in ("views", "ui", "vae_core") for p in sorted((ROOT / d).rglob("*.py")))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    import_to_dist = {"pil": "pillow", "starlette": "streamlit"}  # st.App's routes: Starlette ships with Streamlit
    third_party = {import_to_dist.get(n.lower(), n.lower()) for n in imported - stdlib - local - {"__future__"}}
    assert third_party == _requirement_names(ROOT / "requirements.txt")


def test_torch_is_pinned_and_streamlit_supports_query_binding():
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^torch==2\.13\.0 ;", text, flags=re.M)
    assert "torch-2.13.0%2Bcpu" in text
    version = re.search(r"^streamlit==(\d+)\.(\d+)", text, flags=re.M)
    assert version and (int(version[1]), int(version[2])) >= (1, 55)


def test_vae_core_never_imports_streamlit():
    for path in (ROOT / "vae_core").glob("*.py"):
        assert not re.search(r"^\s*(import|from) streamlit", path.read_text(encoding="utf-8"), flags=re.M), path


def test_ruff_check_passes():
    """The lint rules in pyproject.toml hold on the whole tree (CI runs the README's single command)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_holds():
    """The tree is formatted as `ruff format` writes it (line length 120, pyproject.toml)."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
