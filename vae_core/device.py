"""Choose the torch device: CUDA, then Apple MPS, then CPU, unless told otherwise.

torch is imported inside the functions: the pages name the device the (numpy) model serves on
through :func:`device_description` without importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

PREFERENCES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(preference: str | torch.device | None = "auto") -> torch.device:
    """The device to run on.

    Args:
        preference: "auto" (or None): cuda if available, else mps if available, else cpu;
            "cpu" / "cuda" / "mps" (or a ``torch.device``, e.g. "cuda:1"): exactly that one.

    Raises:
        ValueError: unknown preference.
        RuntimeError: an explicitly requested accelerator is not available here.
    """
    import torch

    if preference is None or preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be one of {PREFERENCES} (or e.g. 'cuda:1'), got {preference!r}") from err
    if device.type not in PREFERENCES:
        raise ValueError(f"device must be one of {PREFERENCES}, got {preference!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but torch.cuda.is_available() is False; use --device cpu or auto")
    if device.type == "mps" and not _mps_available():
        raise RuntimeError("MPS was requested but torch.backends.mps.is_available() is False; use cpu or auto")
    return device


def device_description(device: torch.device) -> str:
    """Human-readable name: the GPU model for CUDA, else the device type."""
    if device.type == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return "CPU"
