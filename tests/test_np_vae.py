"""vae_core.np_vae (the model the pages serve, in numpy) against torch, the oracle it replaces: the same
weights read without torch, the same seeded draws, the same forward pass, log densities, estimates and
gradients — float64 to ≤ 1e-10 relative, float32 to float tolerance — and serving the model pages
never imports torch."""

import dataclasses
import json
import math
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core import checkpoint, evaluate, np_vae
from vae_core.densities import bernoulli_log_likelihood, kl_to_standard_normal, log_diag_normal, log_standard_normal
from vae_core.gradients import vae_gradient_samples

pytestmark = pytest.mark.usefixtures("one_cpu_thread")
ROOT = Path(__file__).resolve().parents[1]
F64 = 1e-10  # relative, float64 numpy against float64 torch
F32 = 2e-5  # relative, float32 (the two libraries sum a matrix product in different orders)


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module")
def numpy_model():
    try:
        return checkpoint.load_numpy_checkpoint()
    except checkpoint.CheckpointError as err:
        pytest.skip(f"the shipped model cannot be loaded: {err}")


@pytest.fixture(scope="module")
def model64(model):
    return checkpoint.load_pretrained("cpu").double().eval()


@pytest.fixture(scope="module")
def images():
    from vae_core.data import load_holdout_binary

    return load_holdout_binary()[:40].astype(np.float32)


# --- reading the checkpoint ------------------------------------------------------------------------
def test_the_checkpoint_read_without_torch_holds_torchs_tensors_bit_for_bit(model, numpy_model):
    state = model.state_dict()
    assert set(state) == set(numpy_model.state)
    for name, tensor in state.items():
        assert numpy_model.state[name].dtype == np.float32
        np.testing.assert_array_equal(numpy_model.state[name], tensor.numpy(), err_msg=name)
    assert dataclasses.asdict(numpy_model.config) == model.config.to_dict()
    assert numpy_model.sha256 == checkpoint.load_model_card()["weights_sha256"]


def test_a_saved_checkpoint_round_trips(tmp_path):
    from vae_core.model import VAE, VAEConfig

    torch.manual_seed(1)
    small = VAE(
        VAEConfig(encoder_hidden=[7, 5], decoder_hidden=[6], encoder_activation="elu", decoder_activation="gelu")
    )
    checkpoint.save_checkpoint(small, tmp_path, {"note": "test"})
    loaded = checkpoint.load_numpy_checkpoint(tmp_path, "float64")
    x = np.random.default_rng(0).random((3, 784))
    with torch.no_grad():
        mu, logvar = small.double().encode(torch.as_tensor(x))
        logits = small.decode(mu)
    assert rel(loaded.encode(x)[0], mu) < F64 and rel(loaded.encode(x)[1], logvar) < F64
    assert rel(loaded.decode(mu.numpy()), logits) < F64


def test_the_reader_refuses_anything_but_tensors_and_containers(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("unpickled!",))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"state_dict": Evil()}))
    with pytest.raises(np_vae.CheckpointFormatError, match="builtins.print"):
        np_vae.read_torch_checkpoint(path)


def test_damaged_files_raise_the_checkpoint_error_with_the_restore_hint(tmp_path):
    import shutil

    shutil.copytree(checkpoint.MODEL_DIR, tmp_path / "m")
    folder = tmp_path / "m"
    weights = folder / checkpoint.WEIGHTS_NAME
    weights.write_bytes(b"not a torch checkpoint" * 10)
    card = json.loads((folder / checkpoint.CARD_NAME).read_text(encoding="utf-8"))
    with pytest.raises(checkpoint.CheckpointError, match="checksum.*git checkout -- assets/model"):
        checkpoint.load_numpy_checkpoint(folder)
    card["weights_sha256"] = checkpoint.file_sha256(weights)
    (folder / checkpoint.CARD_NAME).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(checkpoint.CheckpointError, match="cannot be loaded.*git checkout -- assets/model"):
        checkpoint.load_numpy_checkpoint(folder)
    weights.unlink()
    with pytest.raises(checkpoint.CheckpointError, match="not found"):
        checkpoint.load_numpy_checkpoint(folder)


# --- torch's seeded draws ---------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 7, 2**31 + 5])
@pytest.mark.parametrize("sizes", [[1], [3, 1, 5], [15], [16], [17, 2], [200], [8193, 31, 1], [5, 40, 3]])
def test_seeded_draws_are_torchs(seed, sizes):
    """Every path of torch's CPU normal kernel: < 16 numbers (double Box–Muller, the sine kept for
    the next number, across calls), multiples of 16, and the redrawn tail; float32 and float64."""
    for dtype, tol in ((torch.float32, 1e-6), (torch.float64, 1e-13)):
        gen, mine = torch.Generator().manual_seed(seed), np_vae.TorchCPUGenerator(seed)
        for n in sizes:
            expected = torch.randn((n, 1), generator=gen, dtype=dtype).numpy()
            got = mine.randn((n, 1), np.float64 if dtype == torch.float64 else np.float32)
            assert got.shape == expected.shape and got.dtype == expected.dtype
            np.testing.assert_allclose(got, expected, rtol=0, atol=tol * 4)


# --- the forward pass and the densities -------------------------------------------------------------
def test_forward_pass_matches_torch_in_float64_and_float32(model, model64, numpy_model, images):
    z = np.random.default_rng(1).normal(scale=2.0, size=(300, 2))
    with torch.no_grad():
        mu64, logvar64 = model64.encode(torch.as_tensor(images, dtype=torch.float64))
        logits64 = model64.decode(torch.as_tensor(z))
        mu32, logvar32 = model.encode(torch.as_tensor(images))
        logits32 = model.decode(torch.as_tensor(z, dtype=torch.float32))
    n64 = numpy_model.astype(np.float64)
    mu, logvar = n64.encode(images)
    assert rel(mu, mu64) < F64 and rel(logvar, logvar64) < F64 and rel(n64.decode(z), logits64) < F64
    mu, logvar = numpy_model.encode(images)
    logits = numpy_model.decode(z)
    assert mu.dtype == logits.dtype == np.float32
    assert rel(mu, mu32) < F32 and rel(logvar, logvar32) < F32 and rel(logits, logits32) < F32


def test_log_densities_match_torchs():
    rng = np.random.default_rng(2)
    x = (rng.random((5, 784)) < 0.3).astype(np.float64)
    logits, z, mu, logvar = (
        rng.normal(scale=8, size=(5, 784)),
        rng.normal(size=(5, 2)),
        rng.normal(size=(5, 2)),
        rng.normal(size=(5, 2)),
    )
    t = torch.as_tensor
    assert rel(np_vae.bernoulli_log_likelihood(x, logits), bernoulli_log_likelihood(t(x), t(logits))) < F64
    assert (
        rel(np_vae.bernoulli_log_likelihood_binary(x, logits).diagonal(), bernoulli_log_likelihood(t(x), t(logits)))
        < F64
    )
    assert rel(np_vae.kl_to_standard_normal(mu, logvar), kl_to_standard_normal(t(mu), t(logvar))) < F64
    assert rel(np_vae.log_standard_normal(z), log_standard_normal(t(z))) < F64
    assert rel(np_vae.log_diag_normal(z, mu, logvar), log_diag_normal(t(z), t(mu), t(logvar))) < F64


# --- the estimates, draw for draw -------------------------------------------------------------------
def _draws64(model64, x, shape_k, seed):
    """vae_core.evaluate's steps in torch's float64 on the float32 normals np_vae draws (equal to
    torch's to float rounding, test_seeded_draws_are_torchs): float64 parity of the computation."""
    xt = torch.as_tensor(x, dtype=torch.float64)
    with torch.no_grad():
        mu, logvar = model64.encode(xt)
        eps = torch.as_tensor(np_vae.TorchCPUGenerator(seed).randn((shape_k, *mu.shape)))  # float32
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = model64.decode(z.reshape(-1, 2)).view(shape_k, *xt.shape)
    return xt, mu, logvar, z, logits


@pytest.mark.parametrize("samples", [1, 5, 100])
def test_elbo_terms_match_torchs(model, model64, numpy_model, images, samples):
    x = images[:3]
    # float32: vae_core.evaluate itself
    ref = evaluate.elbo_terms(model, torch.as_tensor(x), samples, torch.Generator().manual_seed(11))
    recon, se, kl = np_vae.elbo_terms(numpy_model, x, samples, np_vae.TorchCPUGenerator(11))
    assert recon.dtype == np.float32 and rel(recon, ref.recon) < F32 and rel(kl, ref.kl) < F32
    if samples > 1:
        assert rel(se, ref.recon_se) < 1e3 * F32  # a spread: differences of nearly equal numbers
    # float64: the same steps in torch's float64
    xt, mu, logvar, _, logits = _draws64(model64, x, samples, 11)
    recon_t = bernoulli_log_likelihood(xt, logits)
    recon, se, kl = np_vae.elbo_terms(numpy_model.astype(np.float64), x, samples, np_vae.TorchCPUGenerator(11))
    assert rel(recon, recon_t.mean(0)) < F64 and rel(kl, kl_to_standard_normal(mu, logvar)) < F64
    if samples > 1:
        assert rel(se, recon_t.std(0) / math.sqrt(samples)) < F64


@pytest.mark.parametrize("k", [3, 300])
def test_importance_draws_match_the_torch_forward_pass(model, model64, numpy_model, images, k):
    for torch_model, mine, tol in ((model64, numpy_model.astype(np.float64), F64), (model, numpy_model, F32)):
        x = images[:2]
        with torch.no_grad():
            out = torch_model(
                torch.as_tensor(x, dtype=next(torch_model.parameters()).dtype),
                n_samples=k,
                generator=torch.Generator().manual_seed(4),
            )
        z, log_w = np_vae.importance_draws(mine, x, k, np_vae.TorchCPUGenerator(4))
        assert rel(z, out.z) < tol and rel(log_w, out.log_w) < tol


def test_chunked_importance_sampling_matches_torchs(model, model64, numpy_model, images):
    batch = np.repeat(images[5:6], 20, axis=0)
    ref = evaluate.log_px_importance(model, torch.as_tensor(batch), 700, torch.Generator().manual_seed(9), chunk=4096)
    got = np_vae.log_px_importance(numpy_model, batch, 700, np_vae.TorchCPUGenerator(9), chunk=4096)
    assert got.dtype == np.float32 and rel(got, ref) < F32
    xt, mu, logvar, z, logits = _draws64(model64, batch, 700, 9)  # one chunk
    log_w = bernoulli_log_likelihood(xt, logits) + log_standard_normal(z) - log_diag_normal(z, mu, logvar)
    got = np_vae.log_px_importance(numpy_model.astype(np.float64), batch, 700, np_vae.TorchCPUGenerator(9), chunk=10**6)
    assert rel(got, torch.logsumexp(log_w, 0) - math.log(700)) < F64


def test_grid_quadrature_matches_torchs(model, model64, numpy_model, images):
    x = images[:4]
    ref = evaluate.log_px_grid(model, torch.as_tensor(x), n=60, return_posterior=True)
    log_px, posterior, z1, z2 = np_vae.log_px_grid(numpy_model, x, n=60)
    np.testing.assert_array_equal(z1, ref.z1)
    assert rel(log_px, ref.log_px) < F32 and np.abs(posterior - ref.posterior.numpy()).max() < 1e-4
    # float64: the midpoint rule written out in torch
    zz2, zz1 = np.meshgrid(ref.z2, ref.z1, indexing="ij")
    zt = torch.as_tensor(np.stack([zz1.ravel(), zz2.ravel()], axis=-1))
    with torch.no_grad():
        joint = bernoulli_log_likelihood(
            torch.as_tensor(x, dtype=torch.float64)[:, None, :], model64.decode(zt)
        ) + log_standard_normal(zt)
    expected = torch.logsumexp(joint, -1) + 2 * math.log(12.0 / 60)
    log_px, posterior, _, _ = np_vae.log_px_grid(numpy_model.astype(np.float64), x, n=60)
    assert rel(log_px, expected) < F64
    assert rel(posterior.reshape(4, -1), torch.exp(joint - torch.logsumexp(joint, -1, keepdim=True))) < 1e-9


def test_gradient_samples_match_torch_autograd(model, model64, numpy_model, images):
    for torch_model, mine, tol in ((model64, numpy_model.astype(np.float64), F64), (model, numpy_model, F32)):
        ref = vae_gradient_samples(torch_model, images[3], 200, 5)
        got = vae_gradient_samples(mine, images[3], 200, 5)
        for name in ("mu", "sigma", "log_px", "pathwise_mu", "pathwise_sigma", "score_mu", "score_sigma"):
            assert rel(getattr(got, name), getattr(ref, name)) < 10 * tol, name
        for name in ("baseline_mu", "baseline_sigma"):  # log p − the others' mean: cancellation
            assert rel(getattr(got, name), getattr(ref, name)) < 1e3 * tol, name


@pytest.mark.parametrize("activation", ["tanh", "relu", "elu", "softplus", "gelu"])
def test_decoder_gradient_matches_autograd_for_every_activation(activation):
    from vae_core.model import VAE, VAEConfig

    torch.manual_seed(3)
    small = VAE(VAEConfig(encoder_hidden=[8], decoder_hidden=[9, 7], decoder_activation=activation)).double()
    mine = np_vae.NumpyVAE.from_torch(small, np.float64)
    rng = np.random.default_rng(0)
    z, x = rng.normal(size=(6, 2)), (rng.random(784) < 0.4).astype(np.float64)
    zt = torch.as_tensor(z).requires_grad_(True)
    log_px = bernoulli_log_likelihood(torch.as_tensor(x), small.decode(zt))
    (grad,) = torch.autograd.grad(log_px.sum(), zt)
    got_log_px, got_grad = mine.decoder_gradient(z, x)
    assert rel(got_log_px, log_px.detach()) < F64 and rel(got_grad, grad) < F64


# --- serving without torch (nor pandas) ------------------------------------------------------------
# One clean interpreter renders every page (the model pages also at a digit and every lesson step):
# torch must not be imported to serve them, nor pandas (~37 MiB more per server, see
# ui/latent_data.py's point_table). One run for both checks: each costs a fresh interpreter's renders.
SERVE = """
import sys
from tests.apptest import open_page
from ui.registry import built_pages
pages = [("views/latent.py", {}, True), ("views/latent.py", {"idx": "7", "L": "1", "k": "10"}, True),
         ("views/latent.py", {"z1": "1.5", "z2": "-0.5"}, True),
         ("views/draw.py", {}, True), ("views/training.py", {}, True),
         ("views/reparameterization.py", {}, True),
         *(("views/lesson.py", {"step": str(step)}, False) for step in range(1, 11))]
for p in built_pages():  # every other page once, at its defaults
    if p.file not in {page for page, _, _ in pages}:
        at = open_page(p.file, "en")
        assert not at.exception, (p.slug, [e.value for e in at.exception])
for page, params, has_metrics in pages:  # metrics: the model's numbers reached the page
    at = open_page(page, "en", **params)
    assert not at.exception, (page, [e.value for e in at.exception])
    assert not at.error, (page, [e.value for e in at.error])
    assert bool(at.metric) == has_metrics, (page, params)
print("torch" in sys.modules, "pandas" in sys.modules)
"""


@pytest.fixture(scope="module")
def served():
    """(torch imported, pandas imported) after the clean interpreter above rendered the pages."""
    result = subprocess.run([sys.executable, "-c", SERVE], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    torch_in, pandas_in = result.stdout.strip().splitlines()[-1].split()
    return torch_in == "True", pandas_in == "True"


def test_serving_the_model_pages_never_imports_torch(served):
    """A fresh interpreter renders every page, /latent, /draw, /training, /reparameterization (its VAE
    section) and every lesson step with the shipped model, and torch is not in sys.modules."""
    assert served[0] is False, "torch was imported while serving the pages"


def test_no_page_imports_pandas(served):
    """pandas would add ~37 MiB to every server (see point_table): nothing the pages run pulls it in."""
    assert served[1] is False, "pandas was imported while serving the pages"


def test_the_control_a_training_import_does_load_torch():
    """The check above can fail: importing the torch model in the same way does show torch."""
    code = "import sys, vae_core.checkpoint as c; c.load_checkpoint(None, 'cpu'); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "True", result.stderr[-2000:]


def test_the_reader_needs_no_torch_module():
    code = (
        "import sys; from vae_core.checkpoint import load_numpy_checkpoint; m = load_numpy_checkpoint(); "
        "print(m.decode([[0.0, 0.0]]).shape, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "(1, 784) False", result.stderr[-2000:]


def test_the_torch_free_elbo_constants_are_the_model_cards():
    from vae_core import timeline_data
    from vae_core.train import EVAL_SEED, EvalConfig

    assert (timeline_data.ELBO_SAMPLES, timeline_data.EVAL_SEED) == (EvalConfig().elbo_samples, EVAL_SEED)
