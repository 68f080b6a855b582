"""vae_core — the math and the model behind the ELBO & VAE explainer.

Pure numpy / scipy / torch; never imports streamlit, so tests, the training CLI and
notebooks can use it directly. Equation numbers refer to the tutorial chapter
(1.4.1 ELBO, 1.4.2 VAE; eqs. 1.4.1-1.4.13).

Heavy submodules (torch) load lazily, so ``import vae_core`` stays cheap for the
pages that only need closed forms.
"""

from importlib import import_module

# public name -> submodule that defines it (imported on first access)
_LAZY = {
    "load_digits": "vae_core.data",
    "DigitsFileError": "vae_core.data",
    "load_pretrained": "vae_core.checkpoint",
    "load_model_card": "vae_core.checkpoint",
    "CheckpointError": "vae_core.checkpoint",
    "pick_device": "vae_core.device",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vae_core' has no attribute {name!r}")
