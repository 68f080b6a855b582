"""Write the pretrained VAE and its training timeline into static/ for the browser's live views.

    python scripts/export_browser.py              # static/model/: vae_{decoder,encoder}_q8.bin, vae.json, codes
    python scripts/export_browser.py --timeline   # static/training/: timeline.json, mu_f32.bin, manifold_u8.bin
    python scripts/export_browser.py --ddpm       # static/ddpm/: ddpm_q8.bin, ddpm.json (the DDPM, int8 + scales)

What the files hold and why is in vae_core/export_browser.py and vae_core/ddpm_export.py (pure
functions: checkpoint → bytes);
this script only writes them, and records the model export in assets/model/model_card.json.
tests/test_export_browser.py and tests/test_timeline_export.py hold the shipped files equal to a
fresh export.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vae_core.checkpoint import CARD_NAME, MODEL_DIR  # noqa: E402
from vae_core.export_browser import card_entry, model_files, timeline_files  # noqa: E402

EXPORT_DIR = ROOT / "static" / "model"
TIMELINE_EXPORT_DIR = ROOT / "static" / "training"
DDPM_EXPORT_DIR = ROOT / "static" / "ddpm"


def write(out_dir: Path, files: dict[str, bytes]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, payload in files.items():
        (out_dir / name).write_bytes(payload)


def export(out_dir: Path = EXPORT_DIR, model_dir: Path | None = None, update_card: bool = True) -> dict:
    """Write the two .bin files, the manifest and the holdout codes to ``out_dir``; record them in the
    model card. Returns the manifest."""
    manifest, files = model_files(model_dir)
    write(out_dir, files)
    if update_card:
        card_path = Path(model_dir or MODEL_DIR) / CARD_NAME
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["browser_export"] = card_entry(manifest)
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def export_timeline(out_dir: Path = TIMELINE_EXPORT_DIR, source_dir: Path | None = None) -> dict[str, bytes]:
    """Write the browser's timeline of the one in ``source_dir`` (default assets/training) to ``out_dir``."""
    from vae_core.timeline import load_timeline

    arrays, note = load_timeline(source_dir)
    files = timeline_files(arrays, note["sha256"])
    write(out_dir, files)
    return files


def export_ddpm(out_dir: Path = DDPM_EXPORT_DIR, model_dir: Path | None = None, update_card: bool = True) -> dict:
    """Write the DDPM's int8 weights and manifest to ``out_dir``; record them in its model card."""
    from vae_core.ddpm import CARD_NAME as DDPM_CARD
    from vae_core.ddpm import DDPM_DIR
    from vae_core.ddpm_export import BIN_NAME as DDPM_BIN
    from vae_core.ddpm_export import MANIFEST_NAME as DDPM_MANIFEST
    from vae_core.ddpm_export import ddpm_files

    manifest, files = ddpm_files(model_dir)
    write(out_dir, files)
    if update_card:
        card_path = Path(model_dir or DDPM_DIR) / DDPM_CARD
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["browser_export"] = {
            "files": [f"static/ddpm/{DDPM_BIN}", f"static/ddpm/{DDPM_MANIFEST}"],
            "sha256": manifest["sha256"],
            "bytes": manifest["bytes"],
            "storage": manifest["storage"],
            "command": manifest["command"],
        }
        card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the model's .bin files and vae.json (with --timeline: for the timeline files)",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="write only the training timeline (static/training/) from assets/training/timeline.npz",
    )
    parser.add_argument(
        "--ddpm",
        action="store_true",
        help="write only the DDPM's browser copy (static/ddpm/) from assets/ddpm",
    )
    args = parser.parse_args(argv)
    if args.ddpm:
        out = args.out or DDPM_EXPORT_DIR
        manifest = export_ddpm(out)
        print(f"wrote {out} ({manifest['bytes']:,} bytes, sha256 {manifest['sha256'][:12]}…)")
        return
    if args.timeline:
        out = args.out or TIMELINE_EXPORT_DIR
        files = export_timeline(out)
        print(f"wrote {', '.join(files)} to {out} ({sum(map(len, files.values())):,} bytes)")
        return
    out = args.out or EXPORT_DIR
    manifest = export(out)
    for entry in manifest["files"].values():
        print(f"wrote {out / entry['name']} ({entry['bytes']:,} bytes, sha256 {entry['sha256'][:12]}…)")


if __name__ == "__main__":
    main()
