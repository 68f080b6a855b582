"""The pretrained VAE for the pages: loaded once per server process and shared by all sessions.

``st.cache_resource`` hands every session the same object, which is only ever used for
inference (design.md, "Streamlit facts"). The pages serve the model in numpy
(``vae_core.np_vae.NumpyVAE``: the checkpoint's weights read without torch, the same numbers), so
serving never imports torch; torch stays for training and the GPU.
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import t


@st.cache_resource(show_spinner=False, max_entries=2)
def _load(model_dir: str, weights_sha256: str):
    # weights_sha256 is part of the cache key: a retrained model in the same folder is reloaded.
    from vae_core.checkpoint import load_numpy_checkpoint

    return load_numpy_checkpoint(model_dir)


def pretrained_model():
    """The shipped VAE, or ``None`` after telling the learner plainly why it is unavailable.

    A missing, truncated or tampered weights file (or model card) never breaks the page: the
    message says how to restore the files; the rest of the page keeps working.
    """
    from vae_core.checkpoint import MODEL_DIR, CheckpointError, load_model_card

    try:
        card = load_model_card(MODEL_DIR)
        return _load(str(MODEL_DIR), card["weights_sha256"])
    except CheckpointError as err:
        st.error(t("common.model_missing"), icon="🧱")
        st.code(str(err), language=None, wrap_lines=True)
        return None


def model_card() -> dict | None:
    """The shipped model card (training record and measured quality), or None if unreadable."""
    from vae_core.checkpoint import MODEL_DIR, CheckpointError, load_model_card

    try:
        return load_model_card(MODEL_DIR)
    except CheckpointError:
        return None


def model_key(model) -> tuple[str, str]:
    """What stands in for the (unhashable) model in ``st.cache_data`` keys: its weights' sha256 and
    its precision. Pass the model itself as an ``_``-prefixed argument next to this key."""
    return (model_card() or {}).get("weights_sha256", ""), str(model.dtype)


@st.cache_data(max_entries=1, show_spinner=False)
def holdout():
    """The holdout digits as the model card evaluates them (one fixed binarization) and their labels.

    Raises ``vae_core.data.DigitsFileError`` when the data file is missing or damaged.
    """
    from vae_core.data import load_digits, load_holdout_binary

    return load_holdout_binary(), load_digits("holdout")[1]
