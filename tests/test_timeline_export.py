"""The /training page's timeline files in static/training/ are what the export writes from
assets/training/timeline.npz, and hold the npz's arrays exactly (the browser reads these bytes)."""

import json

import numpy as np

from scripts.export_browser import TIMELINE_EXPORT_DIR, export_timeline, main
from vae_core.export_browser import TIMELINE_JSON, TIMELINE_MANIFOLD, TIMELINE_MU
from vae_core.timeline import load_timeline


def test_committed_timeline_files_are_what_the_export_writes(tmp_path):
    files = export_timeline(tmp_path)
    assert set(files) == {TIMELINE_JSON, TIMELINE_MU, TIMELINE_MANIFOLD}
    for name, payload in files.items():
        assert (TIMELINE_EXPORT_DIR / name).read_bytes() == payload, name


def test_timeline_files_hold_the_npz_arrays():
    arrays, note = load_timeline()
    meta = json.loads((TIMELINE_EXPORT_DIR / TIMELINE_JSON).read_text())
    assert meta["source_sha256"] == note["sha256"]
    assert meta["epochs"] == arrays["epochs"].tolist() == note["snapshot_epochs"]
    assert meta["labels"] == arrays["labels"].tolist()
    for name, values in meta["curves"].items():
        assert np.array_equal(values, arrays[name]), name
    assert np.array_equal(meta["kl_per_dim"], arrays["kl_per_dim"])
    mu = np.frombuffer((TIMELINE_EXPORT_DIR / TIMELINE_MU).read_bytes(), "<f4")
    mu = mu.reshape(meta["files"][TIMELINE_MU]["shape"])
    assert np.array_equal(mu, arrays["mu"].astype(np.float32))
    manifold = np.frombuffer((TIMELINE_EXPORT_DIR / TIMELINE_MANIFOLD).read_bytes(), np.uint8)
    assert np.array_equal(manifold.reshape(arrays["manifold"].shape), arrays["manifold"])


def test_cli_flag_writes_the_timeline(tmp_path, capsys):
    main(["--timeline", "--out", str(tmp_path)])
    assert (tmp_path / TIMELINE_MANIFOLD).stat().st_size == (TIMELINE_EXPORT_DIR / TIMELINE_MANIFOLD).stat().st_size
    assert "manifold_u8.bin" in capsys.readouterr().out
