"""Save and load the VAE: weights (state_dict + model_args) and a JSON model card.

The shipped model lives in ``assets/model/``: ``vae_weights.pt`` (a plain dict loaded with
``torch.load(..., weights_only=True)``, never a pickled module) and ``model_card.json``
(how it was trained and how good it is; it records the weights' sha256, which is checked
before every load). Any problem with these files raises :class:`CheckpointError`.

Two loaders read the same file after the same checks: :func:`load_checkpoint` (a torch
``vae_core.model.VAE``, for training and the GPU) and :func:`load_numpy_checkpoint` (a
``vae_core.np_vae.NumpyVAE``, what the pages serve: no torch import). torch is imported only by
the torch loader and by :func:`save_checkpoint`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from vae_core.data import ASSETS_DIR, file_sha256
from vae_core.device import pick_device  # imports torch only when called

if TYPE_CHECKING:
    import torch

    from vae_core.model import VAE
    from vae_core.np_vae import NumpyVAE

MODEL_DIR = ASSETS_DIR / "model"
WEIGHTS_NAME = "vae_weights.pt"
CARD_NAME = "model_card.json"
CHECKPOINT_FORMAT = 1
RETRAIN_COMMAND = "python -m vae_core.train --device auto --out assets/model"


class CheckpointError(RuntimeError):
    """The weights or the model card are missing, corrupt, truncated or fail the sha256 check."""


def _hint(model_dir: Path) -> str:
    return (
        f"Restore the shipped files with `git checkout -- assets/model` (model dir: {model_dir}), "
        f"or retrain them with `{RETRAIN_COMMAND}` (the defaults are the shipped recipe; see "
        "assets/model/MODEL_CARD.md)."
    )


def save_checkpoint(model: VAE, out_dir: Path | str, card: dict) -> dict:
    """Write ``vae_weights.pt`` and ``model_card.json`` (with the weights' sha256) to ``out_dir``.

    Returns the card as written.
    """
    import torch

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / WEIGHTS_NAME
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    payload = {"format": CHECKPOINT_FORMAT, "model_args": model.config.to_dict(), "state_dict": state}
    torch.save(payload, weights)
    card = {**card, "weights_file": WEIGHTS_NAME, "weights_sha256": file_sha256(weights)}
    card["model_args"] = model.config.to_dict()
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card


def load_model_card(model_dir: Path | str | None = None) -> dict:
    """The model card (JSON) of the model in ``model_dir`` (default ``assets/model``)."""
    model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
    path = model_dir / CARD_NAME
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise CheckpointError(f"Model card not found: {path}. {_hint(model_dir)}") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"Model card {path} is unreadable ({err}). {_hint(model_dir)}") from err
    if not isinstance(card, dict) or not isinstance(card.get("weights_sha256"), str):
        raise CheckpointError(f"Model card {path} has no weights_sha256. {_hint(model_dir)}")
    return card


def _checked_weights(model_dir: Path) -> tuple[Path, dict]:
    """The weights file in ``model_dir`` and the model card, after the sha256 check."""
    card = load_model_card(model_dir)
    weights = model_dir / card.get("weights_file", WEIGHTS_NAME)
    if not weights.is_file():
        raise CheckpointError(f"Model weights not found: {weights}. {_hint(model_dir)}")
    actual = file_sha256(weights)
    if actual != card["weights_sha256"]:
        raise CheckpointError(
            f"Model weights {weights} fail the checksum (sha256 {actual[:12]}…, the model card says "
            f"{card['weights_sha256'][:12]}…): the file is corrupt, truncated or from another run. {_hint(model_dir)}"
        )
    return weights, card


def load_checkpoint(model_dir: Path | str | None = None, device: str | torch.device | None = None) -> VAE:
    """Load the VAE in ``model_dir`` after checking its sha256 against the model card.

    Returns the model in eval mode on ``pick_device(device)``.

    Raises:
        CheckpointError: missing, corrupt or truncated file, or a sha256 mismatch.
    """
    model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
    weights, _ = _checked_weights(model_dir)
    import torch

    from vae_core.model import VAE, VAEConfig

    target = pick_device(device)
    try:
        payload = torch.load(weights, map_location="cpu", weights_only=True)
        config = VAEConfig.from_dict(payload["model_args"])
        model = VAE(config)
        model.load_state_dict(payload["state_dict"])
    except Exception as err:  # any failure here means an unusable checkpoint
        raise CheckpointError(f"Model weights {weights} cannot be loaded ({err}). {_hint(model_dir)}") from err
    return model.to(target).eval()


def load_numpy_checkpoint(model_dir: Path | str | None = None, dtype: str = "float32") -> NumpyVAE:
    """The VAE in ``model_dir`` as a :class:`vae_core.np_vae.NumpyVAE` (same file, same sha256 check,
    same errors as :func:`load_checkpoint`; torch is not imported). ``dtype`` float32 (the trained
    precision) or float64.

    Raises:
        CheckpointError: missing, corrupt or truncated file, or a sha256 mismatch.
    """
    from vae_core.np_vae import load_numpy_vae

    model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
    weights, card = _checked_weights(model_dir)
    try:
        return load_numpy_vae(weights, card["weights_sha256"], dtype)
    except Exception as err:  # any failure here means an unusable checkpoint
        raise CheckpointError(f"Model weights {weights} cannot be loaded ({err}). {_hint(model_dir)}") from err


def load_pretrained(device: str | torch.device | None = None) -> VAE:
    """The shipped 2-D VAE (``assets/model``), in eval mode, on ``device`` (default: best available:
    cuda → mps → cpu). Its training record and measured quality: :func:`load_model_card`.

    Raises:
        CheckpointError: the shipped files are missing or damaged (the message says how to restore).
    """
    return load_checkpoint(MODEL_DIR, device)
