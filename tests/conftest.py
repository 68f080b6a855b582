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
