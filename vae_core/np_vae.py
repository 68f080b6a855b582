"""The pretrained VAE in numpy, for serving: the same weights and the same numbers as the torch model
(vae_core.model.VAE), without importing torch.

The pages only ever run the shipped model forward (encoder, decoder, log densities, seeded draws from
q; the reparameterization page also backpropagates through the decoder, done here by hand), so a
server needs no torch: this module reads the checkpoint ``assets/model/vae_weights.pt``
itself (a torch zip file: a pickle of plain containers plus raw little-endian tensor storages) with a
restricted unpickler that rebuilds tensors as numpy arrays and refuses every other global, and
replays torch's seeded CPU normal draws (mt19937 + Box–Muller, :class:`TorchCPUGenerator`), so an
importance-sampled estimate with seed s draws the same z as torch did. Training (vae_core.train,
vae_core.live_training) and the GPU stay with torch.

Parity (tests/test_np_vae.py): in float64 the forward pass, every log density, the estimates of
log p(x) and the decoder's gradient match torch's float64 model to ≤ 1e-10 relative; in float32
(what the pages use, like torch did) to float tolerance (the two libraries sum a matrix product in
different orders). The draws match torch.randn to float rounding (≤ 1e-6: torch evaluates log, sin
and cos with its own vector routines).
"""

from __future__ import annotations

import math
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import erf, expit

LOG_2PI = math.log(2.0 * math.pi)
GRID_LIM = 6.0  # the grid covers [-6, 6]^2; the N(0, I) prior puts < 2e-8 mass outside it
DEFAULT_CHUNK = 4096  # latent points decoded at once (bounds memory: chunk x 784 floats)


# --- reading a torch checkpoint without torch -----------------------------------------------------
_STORAGES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "BFloat16Storage": None,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class CheckpointFormatError(ValueError):
    """The file is not a torch zip checkpoint of plain containers and tensors."""


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    """torch._utils._rebuild_tensor_v2 for numpy: a (copied, C-contiguous) view of ``storage``."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if not size:
        return np.array(storage[offset])
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=tuple(s * storage.itemsize for s in stride), writeable=False
    )
    return np.ascontiguousarray(view)


class _Unpickler(pickle.Unpickler):
    """Only what a state_dict checkpoint holds: OrderedDict, tensors, and their typed storages."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, byteorder: str):
        super().__init__(file)
        self._archive, self._prefix, self._order = archive, prefix, "<" if byteorder == "little" else ">"

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and _STORAGES.get(name) is not None:
            return np.dtype(_STORAGES[name]).newbyteorder(self._order)
        raise CheckpointFormatError(f"unexpected object {module}.{name} in the checkpoint")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], np.dtype)):
            raise CheckpointFormatError(f"unexpected persistent id {pid!r}")
        _, dtype, key, _location, numel = pid
        raw = self._archive.read(f"{self._prefix}/data/{key}")
        if len(raw) < int(numel) * dtype.itemsize:
            raise CheckpointFormatError(f"storage {key} is truncated")
        return np.frombuffer(raw, dtype=dtype, count=int(numel)).astype(dtype.newbyteorder("="))


def read_torch_checkpoint(path: Path | str) -> dict:
    """The object ``torch.save`` wrote to ``path`` (zip format), with tensors as numpy arrays.

    Like ``torch.load(weights_only=True)`` it builds nothing but containers, numbers, strings and
    arrays. Raises :class:`CheckpointFormatError` (or OSError / zipfile.BadZipFile) on a bad file.
    """
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise CheckpointFormatError("no data.pkl in the checkpoint")
        prefix = pickles[0].split("/")[0]
        byteorder = "little"
        if f"{prefix}/byteorder" in names:
            byteorder = archive.read(f"{prefix}/byteorder").decode("ascii").strip()
        with archive.open(pickles[0]) as file:
            return _Unpickler(file, archive, prefix, byteorder).load()


# --- the model -----------------------------------------------------------------------------------
def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), stable for any x, in x's dtype (torch's
    F.softplus; ~7× faster than np.logaddexp(0, x), which dominated the decoder's cost)."""
    x = np.asarray(x)
    out = np.abs(x)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(x, 0)
    return out


def _gelu(x):
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


ACTIVATIONS = {"tanh": np.tanh, "relu": lambda x: np.maximum(x, 0), "elu": _elu, "softplus": softplus, "gelu": _gelu}


def _gelu_slope(a):
    return (0.5 * (1.0 + erf(a / math.sqrt(2.0))) + a * np.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)).astype(a.dtype)


# d act(a) / da from the pre-activation a and the activation h = act(a)
SLOPES = {
    "tanh": lambda a, h: 1.0 - h * h,
    "relu": lambda a, h: (a > 0).astype(a.dtype),
    "elu": lambda a, h: np.where(a > 0, 1.0, h + 1.0).astype(a.dtype),
    "softplus": lambda a, h: expit(a),
    "gelu": lambda a, h: _gelu_slope(a),
}


@dataclass(frozen=True)
class NpConfig:
    """The checkpoint's ``model_args`` (the fields of vae_core.model.VAEConfig)."""

    x_dim: int = 784
    z_dim: int = 2
    encoder_hidden: list[int] = field(default_factory=lambda: [200, 200])
    decoder_hidden: list[int] = field(default_factory=lambda: [256, 512])
    encoder_activation: str = "tanh"
    decoder_activation: str = "tanh"

    @classmethod
    def from_dict(cls, args: dict) -> NpConfig:
        unknown = set(args) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown VAEConfig fields {sorted(unknown)}")
        config = cls(**args)
        for act in (config.encoder_activation, config.decoder_activation):
            if act not in ACTIVATIONS:
                raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {act!r}")
        return config


def _layers(state: dict, prefix: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (weight (out, in), bias (out,)) pairs of an nn.Sequential of Linear layers, in order."""
    indices = sorted({int(k[len(prefix) :].split(".")[0]) for k in state if k.startswith(prefix)})
    return [(state[f"{prefix}{i}.weight"], state[f"{prefix}{i}.bias"]) for i in indices]


@dataclass(frozen=True)
class NumpyDevice:
    """Where a :class:`NumpyVAE` runs, in torch.device's terms (``type``, ``str``): always the CPU."""

    type: str = "cpu"

    def __str__(self) -> str:
        return self.type


@dataclass(frozen=True)
class _Parameter:
    device: NumpyDevice = NumpyDevice()


class NumpyVAE:
    """vae_core.model.VAE's forward pass in numpy: ``encode(x) -> (mu, logvar)``, ``decode(z) ->
    logits``, with the same weights. ``dtype`` float32 (as trained and served) or float64 (the
    parity tests). Immutable after construction, so one instance serves every session."""

    def __init__(self, config: NpConfig, state: dict, dtype=np.float32, sha256: str = "") -> None:
        self.config, self.dtype, self.sha256 = config, np.dtype(dtype), sha256
        self.state = {k: np.ascontiguousarray(np.asarray(v), dtype=self.dtype) for k, v in state.items()}
        for array in self.state.values():
            array.flags.writeable = False
        self._encoder = [(w.T, b) for w, b in _layers(self.state, "encoder_body.")]
        self._decoder = [(w.T, b) for w, b in _layers(self.state, "decoder.")]
        heads = [self.state[f"{name}.{part}"] for name in ("to_mu", "to_logvar") for part in ("weight", "bias")]
        # both heads as one product: (H, 2 D_z)
        self._heads = (
            np.ascontiguousarray(np.concatenate([heads[0], heads[2]]).T),
            np.concatenate([heads[1], heads[3]]),
        )
        if not self._encoder or not self._decoder:
            raise ValueError("the state_dict has no encoder or decoder layers")
        self._enc_act = ACTIVATIONS[config.encoder_activation]
        self._dec_act = ACTIVATIONS[config.decoder_activation]

    @classmethod
    def from_torch(cls, model, dtype=np.float32) -> NumpyVAE:
        """A numpy copy of a torch VAE (its config and state_dict, copied to the CPU)."""
        state = {
            k: v.detach().cpu().double().numpy() if dtype == np.float64 else v.detach().cpu().numpy()
            for k, v in model.state_dict().items()
        }
        return cls(NpConfig.from_dict(model.config.to_dict()), state, dtype)

    def parameters(self):
        """Like ``nn.Module.parameters()`` for code that asks where the model runs
        (``next(model.parameters()).device``): the CPU."""
        yield _Parameter()

    def astype(self, dtype) -> NumpyVAE:
        return self if np.dtype(dtype) == self.dtype else NumpyVAE(self.config, self.state, dtype, self.sha256)

    def _mlp(self, h: np.ndarray, layers, act) -> np.ndarray:
        for i, (w_t, b) in enumerate(layers):
            h = h @ w_t
            h += b
            if i < len(layers) - 1:
                h = act(h)
        return h

    def as_input(self, a) -> np.ndarray:
        return np.asarray(a, dtype=self.dtype)

    def encode(self, x) -> tuple[np.ndarray, np.ndarray]:
        """q_φ(z|x): x (B, D_x) -> (mu (B, D_z), logvar (B, D_z)), logvar = log σ²."""
        hidden = self._enc_act(self._mlp(self.as_input(x), self._encoder, self._enc_act))
        out = hidden @ self._heads[0]
        out += self._heads[1]
        d = self.config.z_dim
        return out[..., :d], out[..., d:]

    def decode(self, z) -> np.ndarray:
        """p_θ(x|z): z (N, D_z) -> Bernoulli logits (N, D_x); pixel means are sigmoid(logits)."""
        return self._mlp(self.as_input(z), self._decoder, self._dec_act)

    def decoder_gradient(self, z, x) -> tuple[np.ndarray, np.ndarray]:
        """log p_θ(x|z) (N,) for one binary image x (D_x,) at z (N, D_z) and its gradient with respect
        to z (N, D_z), by backpropagation through the decoder (what torch.autograd computes)."""
        h = self.as_input(z)
        x = self.as_input(x)
        cache = []
        for i, (w_t, b) in enumerate(self._decoder):
            a = h @ w_t + b
            if i < len(self._decoder) - 1:
                h = self._dec_act(a)
                cache.append((a, h))
            else:
                h = a
        logits = h
        log_px = bernoulli_log_likelihood(x, logits)
        grad = x - expit(logits)  # d/dℓ of Σ [x ℓ − softplus(ℓ)]
        slope = SLOPES[self.config.decoder_activation]
        for i in range(len(self._decoder) - 1, -1, -1):
            grad = grad @ self._decoder[i][0].T
            if i > 0:
                a, h = cache[i - 1]
                grad = grad * slope(a, h)
        return log_px, grad


class ModelFunctions:
    """Any model with torch-style ``encode(x) -> (mu, logvar)`` and ``decode(z) -> logits`` (and
    ``config.z_dim``), seen through NumpyVAE's interface: numpy in, numpy out, float32. For toy
    models in tests and other duck-typed models; the served model is a :class:`NumpyVAE`."""

    dtype = np.dtype(np.float32)

    def __init__(self, model) -> None:
        self.model, self.config = model, model.config

    def as_input(self, a) -> np.ndarray:
        return np.asarray(a, dtype=self.dtype)

    def _call(self, method, a):
        import torch

        params = getattr(self.model, "parameters", None)
        device = next(params()).device if callable(params) else "cpu"
        with torch.no_grad():
            out = method(torch.as_tensor(self.as_input(a), device=device))
        if isinstance(out, tuple):
            return tuple(o.detach().cpu().numpy().astype(self.dtype) for o in out)
        return out.detach().cpu().numpy().astype(self.dtype)

    def encode(self, x):
        return self._call(self.model.encode, x)

    def decode(self, z):
        return self._call(self.model.decode, z)


# --- log densities (vae_core.densities in numpy), nats -------------------------------------------
def bernoulli_log_likelihood(x: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """log p_θ(x|z) = Σ_d [x_d ℓ_d − softplus(ℓ_d)] over the last axis."""
    return (x * logits - softplus(logits)).sum(axis=-1)


def bernoulli_log_likelihood_binary(x: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The same for many logits rows and one image x (D_x,) or several (B, D_x): a matrix product.

    Returns (N,) for one image, (B, N) for several."""
    return x @ logits.T - softplus(logits).sum(axis=-1)


def kl_to_standard_normal(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)."""
    return 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar).sum(axis=-1)


def log_standard_normal(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) for z (..., D_z) -> (...,)."""
    return -0.5 * (z**2 + LOG_2PI).sum(axis=-1)


def log_diag_normal(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """log N(z; μ, diag σ²) for z, μ, log σ² broadcasting to (..., D_z) -> (...,)."""
    return -0.5 * ((z - mu) ** 2 * np.exp(-logvar) + logvar + LOG_2PI).sum(axis=-1)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Pixel means 1 / (1 + e^−ℓ) in the logits' dtype."""
    return expit(logits)


# --- torch's seeded CPU normal draws -------------------------------------------------------------
class TorchCPUGenerator:
    """``torch.Generator().manual_seed(seed)`` and ``torch.randn(shape, generator=...)`` on the CPU.

    torch's CPU generator is the 32-bit Mersenne Twister seeded like ``init_genrand`` (numpy's legacy
    seeding). ``randn`` of n ≥ 16 float32 numbers fills n uniforms u = (r mod 2²⁴)/2²⁴, turns each
    block of 16 into 8 Box–Muller pairs (radius √(−2 log(1 − u_j)), angle 2π u_{j+8}; cos to the
    first half, sin to the second) and, when 16 ∤ n, redraws the last 16 from 16 fresh uniforms. For
    n < 16 each number is a double Box–Muller draw from two 53-bit uniforms whose sine half is kept
    for the next number (also across calls, as torch keeps it in the generator).
    """

    def __init__(self, seed: int) -> None:
        key = np.empty(624, dtype=np.uint32)
        s = int(seed) & 0xFFFFFFFF
        for i in range(624):
            key[i] = s
            s = (1812433253 * (s ^ (s >> 30)) + i + 1) & 0xFFFFFFFF
        self._bits = np.random.MT19937()
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
        self._cached: float | None = None

    def _raw(self, n: int) -> np.ndarray:
        return self._bits.random_raw(n).astype(np.uint32)

    def _uniform(self, n: int, dtype: np.dtype) -> np.ndarray:
        """n uniforms on [0, 1): 24 bits of one output (float32) or 53 bits of two (float64)."""
        if dtype == np.float32:
            return (self._raw(n) & 0xFFFFFF).astype(np.float32) * np.float32(2.0**-24)
        r = self._raw(2 * n).astype(np.uint64).reshape(n, 2)
        bits = ((r[:, 0] << np.uint64(32)) | r[:, 1]) & np.uint64((1 << 53) - 1)
        return bits.astype(np.float64) * 2.0**-53

    @staticmethod
    def _fill16(u: np.ndarray) -> np.ndarray:
        """(blocks, 16) uniforms -> (blocks, 16) normals, in the uniforms' dtype."""
        one, two = u.dtype.type(1.0), u.dtype.type(-2.0)
        radius = np.sqrt(two * np.log(one - u[:, :8]))  # 1 − u ∈ (0, 1]: exact
        theta = u.dtype.type(2.0 * math.pi) * u[:, 8:]
        return np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1)

    def _normal_double(self) -> float:
        if self._cached is not None:
            value, self._cached = self._cached, None
            return value
        u1, u2 = (float(u) for u in self._uniform(2, np.dtype(np.float64)))
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self._cached = radius * math.sin(theta)
        return radius * math.cos(theta)

    def randn(self, shape, dtype=np.float32) -> np.ndarray:
        """Standard normals of ``shape`` and ``dtype`` (float32 or float64): the numbers
        ``torch.randn(shape, dtype=..., generator=...)`` draws from this state."""
        shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
        dtype = np.dtype(dtype)
        n = math.prod(shape)
        if n < 16:
            return np.array([self._normal_double() for _ in range(n)], dtype=dtype).reshape(shape)
        data = self._uniform(n, dtype)
        full = n // 16
        data[: full * 16] = self._fill16(data[: full * 16].reshape(full, 16)).ravel()
        if n % 16:
            data[n - 16 :] = self._fill16(self._uniform(16, dtype).reshape(1, 16)).ravel()
        return data.reshape(shape)


# --- loading the shipped checkpoint ---------------------------------------------------------------
def load_numpy_vae(weights: Path | str, sha256: str = "", dtype=np.float32) -> NumpyVAE:
    """The VAE in the torch checkpoint ``weights`` (format of vae_core.checkpoint.save_checkpoint) as
    a :class:`NumpyVAE`. The caller checks the sha256 first (vae_core.checkpoint does)."""
    payload = read_torch_checkpoint(weights)
    if not isinstance(payload, dict) or "state_dict" not in payload or "model_args" not in payload:
        raise CheckpointFormatError("the checkpoint holds no state_dict and model_args")
    return NumpyVAE(NpConfig.from_dict(dict(payload["model_args"])), dict(payload["state_dict"]), dtype, sha256)


# --- estimates of log p(x) (vae_core.evaluate's, on a NumpyVAE), nats ------------------------------
def grid_axis(lim: float, n: int, center: float = 0.0) -> np.ndarray:
    """Cell centres of ``n`` equal cells covering [center − lim, center + lim]."""
    step = 2.0 * lim / n
    return center - lim + step * (np.arange(n) + 0.5)


def decode_chunks(model: NumpyVAE, z: np.ndarray, chunk: int = DEFAULT_CHUNK):
    """Yield ``(z_chunk (g, D_z), logits (g, D_x))`` over chunks of latent points (bounded memory)."""
    z = model.as_input(z).reshape(-1, model.config.z_dim)
    for start in range(0, len(z), chunk):
        zc = z[start : start + chunk]
        yield zc, model.decode(zc)


def elbo_terms(model: NumpyVAE, x, n_samples: int, generator: TorchCPUGenerator):
    """(recon, recon_se, kl), each (B,): eq. 1.4.13's L-sample mean of log p_θ(x|z) over z = μ + σ ε,
    its standard error (0 when L = 1) and the closed-form KL(q ‖ p(z)) (vae_core.evaluate.elbo_terms)."""
    x = model.as_input(x)
    mu, logvar = model.encode(x)  # (B, D_z)
    eps = generator.randn((n_samples, *mu.shape)).astype(model.dtype)  # (L, B, D_z): float32 draws, as torch
    z = mu + np.exp(0.5 * logvar) * eps
    logits = model.decode(z.reshape(-1, mu.shape[-1])).reshape(n_samples, *x.shape)
    recon = bernoulli_log_likelihood(x, logits)  # (L, B)
    se = recon.std(axis=0, ddof=1) / math.sqrt(n_samples) if n_samples > 1 else np.zeros_like(recon[0])
    return recon.mean(axis=0), se, kl_to_standard_normal(mu, logvar)


def importance_draws(model: NumpyVAE, x, k: int, generator: TorchCPUGenerator) -> tuple[np.ndarray, np.ndarray]:
    """z (k, B, D_z) ~ q_φ(z|x) and log w (k, B) = log p_θ(x|z) + log p(z) − log q_φ(z|x): the draws of
    vae_core.model.VAE's forward pass with ``n_samples=k`` and the same generator."""
    x = model.as_input(x)
    mu, logvar = model.encode(x)  # (B, D_z)
    eps = generator.randn((k, *mu.shape), model.dtype)  # in the model's dtype, as VAE.reparameterize
    z = mu + np.exp(0.5 * logvar) * eps  # (k, B, D_z)
    logits = model.decode(z.reshape(-1, model.config.z_dim)).reshape(k, *x.shape)
    return z, bernoulli_log_likelihood(x, logits) + log_standard_normal(z) - log_diag_normal(z, mu, logvar)


def log_px_importance(
    model: NumpyVAE, x, k: int, generator: TorchCPUGenerator, chunk: int = DEFAULT_CHUNK
) -> np.ndarray:
    """Importance-sampled log p(x) with k draws from q (the IWAE bound), (B,): vae_core.evaluate's
    chunking (about ``chunk`` decoder calls at a time, a running logsumexp), so the same draws."""
    x = model.as_input(x)
    mu, logvar = model.encode(x)
    batch = x.shape[0]
    per_step = max(1, chunk // batch)
    total = np.full(batch, -np.inf, dtype=model.dtype)
    for start in range(0, k, per_step):
        n = min(per_step, k - start)
        eps = generator.randn((n, *mu.shape)).astype(model.dtype)  # float32 draws, as torch
        z = mu + np.exp(0.5 * logvar) * eps
        logits = model.decode(z.reshape(-1, mu.shape[-1])).reshape(n, *x.shape)
        log_w = bernoulli_log_likelihood(x, logits) + log_standard_normal(z) - log_diag_normal(z, mu, logvar)
        top = log_w.max(axis=0)
        total = np.logaddexp(total, top + np.log(np.exp(log_w - top).sum(axis=0)))
    return total - model.dtype.type(math.log(k))


def grid_points(z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    """All (z1, z2) pairs, z1 varying fastest: (n2 · n1, 2), so a (…, n2 · n1) result reshapes to (…, n2, n1)."""
    zz1, zz2 = np.meshgrid(z1, z2)
    return np.stack([zz1.ravel(), zz2.ravel()], axis=-1)


def grid_log_joint(model: NumpyVAE, x, z: np.ndarray, chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """log p_θ(x|z) + log p(z) for binary images x (B, D_x) at latent points z (N, 2) -> (B, N): the
    decoder runs once per point; all images share it through one matrix product."""
    x = model.as_input(x)
    parts = [
        bernoulli_log_likelihood_binary(x, logits) + log_standard_normal(zc)
        for zc, logits in decode_chunks(model, z, chunk)
    ]
    return np.concatenate(parts, axis=-1)


def log_px_grid(
    model: NumpyVAE, x, lim: float = GRID_LIM, n: int = 120, center=(0.0, 0.0), chunk: int = DEFAULT_CHUNK
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log p(x) by the midpoint rule on an n × n grid over [c − lim, c + lim]² (vae_core.evaluate.log_px_grid)
    and the posterior per cell: (log_px (B,), posterior (B, n, n) rows z₂ columns z₁, z1 (n,), z2 (n,))."""
    if model.config.z_dim != 2:
        raise ValueError("grid quadrature needs a 2-D latent")
    z1, z2 = grid_axis(lim, n, center[0]), grid_axis(lim, n, center[1])
    log_joint = grid_log_joint(model, x, grid_points(z1, z2), chunk)  # (B, n²)
    top = log_joint.max(axis=-1, keepdims=True)
    log_sum = top + np.log(np.exp(log_joint - top).sum(axis=-1, keepdims=True))
    posterior = np.exp(log_joint - log_sum).reshape(len(log_joint), len(z2), len(z1))
    return log_sum[:, 0] + model.dtype.type(2.0 * math.log(2.0 * lim / n)), posterior, z1, z2
