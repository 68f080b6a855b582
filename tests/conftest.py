"""Fixtures shared by the tests that run the torch model. torch is imported inside them, so test
modules that do not use them never load it; a module opts in with
``pytestmark = pytest.mark.usefixtures("one_cpu_thread")`` and asks for ``model`` by name."""

import os

import pytest

# ui.i18n.t() raises for a missing key instead of showing ⟦key⟧, here and in the streamlit servers
# the browser tests start (they inherit the environment).
os.environ["ELBO_STRICT_I18N"] = "1"
# One torch (OpenMP) thread in every test process and the servers they start, set before torch is
# imported: the suite runs on two xdist workers on two cores, and a second thread per process only
# oversubscribes them (a 12-digit DDPM bound took ~46 s of CPU on two threads, 2.4 s on one).
# Tests that check thread handling set their own counts.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(scope="module")
def one_cpu_thread():
    """One torch thread: on the shared 2-core machine, 2 threads stall whenever other jobs run."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model():
    """The shipped model on the CPU, or a skip that says why it could not be loaded."""
    from vae_core.checkpoint import CheckpointError, load_pretrained

    try:
        return load_pretrained("cpu")
    except CheckpointError as err:
        pytest.skip(f"pretrained model unavailable: {err}")


# --- two workers (pytest-xdist, `--dist loadgroup` in pyproject.toml) ---------------------------------
# A module-scoped fixture defined in a test module (a page loaded once for several checks, a Redis or
# HAProxy cluster, an expensive oracle) should be set up on one worker, not once per worker. So every
# test that uses one is put in one xdist group per module — per module *and parameter* where the
# fixture is parametrized (tests/browser/test_every_page.py: one group per page × language × mode,
# so the 54 page loads spread over both workers). Tests without such a fixture are scheduled one by
# one. Session fixtures (the streamlit server, Chromium, its contexts) exist once per worker.
_SHARED_SCOPES = ("module", "class", "package")


def xdist_group_of(item) -> str | None:
    """The xdist group of a test: the page render it shares (tests.apptest.rendered), or its module plus
    the params of its module-level fixtures, or None (scheduled alone). Never contains "[" or "]"."""
    module = item.nodeid.split("::", 1)[0]
    callspec = getattr(item, "callspec", None)
    shares = item.get_closest_marker("shares_render")
    if shares is not None:
        params = callspec.params if callspec else {}
        page = params.get("page")
        file = getattr(page, "file", None) or params.get("file") or shares.kwargs.get("file")
        lang = shares.kwargs.get("lang") or params.get("lang", "en")
        if file:
            return f"render:{file}:{lang}"
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared = []
    for name in info.names_closure:
        defs = info.name2fixturedefs.get(name)
        if not defs:
            continue
        fixturedef = defs[-1]
        if fixturedef.scope not in _SHARED_SCOPES or fixturedef.baseid != module:
            continue  # a session fixture, or one from a conftest.py (cheap, or per worker anyway)
        shared.append(name)
    if not shared:
        return None
    params = [f"{name}={callspec.indices[name]}" for name in shared if callspec and name in callspec.indices]
    # no brackets in a group name: xdist takes the text after the last "@" as the group only when no "]"
    # follows it (a parametrized test's id ends in "]")
    return module + "".join(f"::{param}" for param in params)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        group = xdist_group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
