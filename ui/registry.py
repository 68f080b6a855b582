"""The app's pages, in the chapter's order. app.py and the home page both read this list.

Every entry must point at an existing file: a wrong path is an error (:func:`built_pages` raises,
so the app and every test that lists pages fail), never a page that silently disappears.
Each page's strings live in ``assets/i18n/<lang>/<slug>.toml`` and must include
``title`` (navigation and card title), ``card`` (one or two sentences: what the learner
will see), ``try_title`` and ``try_text`` (the footer) — the home page builds its cards from those.

Every per-page fact that a test or a script loops over lives here, in :class:`PageInfo` (which
live views a page mounts, its key section, whether it needs the VAE), never in a list written by
hand elsewhere: a new page that forgets one is a ``TypeError`` at import, not a page that some check
silently skips.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageInfo:
    slug: str  # the page's one name: i18n namespace, widget-key prefix, views/<slug>.py, URL /<slug with hyphens>
    icon: str
    section: str  # "elbo" (1.4.1) or "vae" (1.4.2)
    equations: str  # the chapter's equations the page covers ("1.4.11", "1.4.1–1.4.10"), or "§1.4.2.2"
    _: KW_ONLY
    live_views: tuple[str, ...]  # the static/live/<name>.js views it mounts (ui/live/*.py register them)
    key_section: str | None  # the section link of its key live view ("": the page's top; None: none)
    uses_model: bool  # needs the pretrained VAE (assets/model): says so plainly when the files are damaged

    @property
    def url_path(self) -> str:
        """Public, language-neutral (teachers paste these links): the slug with hyphens; home is ``""``."""
        return "" if self.slug == "home" else self.slug.replace("_", "-")

    @property
    def file(self) -> str:
        """The page's view, relative to the repository root."""
        return f"views/{self.slug}.py"

    @property
    def built(self) -> bool:
        return (ROOT / self.file).is_file()


HOME = PageInfo(
    "home", "🗺️", "", "1.4.1–1.4.13", live_views=(), key_section=None, uses_model=False
)  # its cards, no chart
LESSON = PageInfo(
    "lesson",
    "🎓",
    "",
    "1.4.1–1.4.13",  # the class path: the
    live_views=(),
    key_section=None,
    uses_model=True,
)  # pages' views, one step at a time

PAGES: tuple[PageInfo, ...] = (
    PageInfo(
        "gaussian_kl",
        "📏",
        "elbo",
        "1.4.11",
        live_views=("kl", "kl_landscape"),
        key_section="",
        uses_model=False,
    ),
    PageInfo(
        "elbo",
        "⚖️",
        "elbo",
        "1.4.1–1.4.10",
        live_views=("jensen", "ledger"),
        key_section="ledger",
        uses_model=False,
    ),
    PageInfo(
        "monte_carlo",
        "🎲",
        "vae",
        "1.4.13",
        live_views=("mc",),
        key_section="estimates",
        uses_model=False,
    ),
    PageInfo(
        "reparameterization",
        "🔀",
        "vae",
        "§1.4.2.2",
        live_views=("reparam",),
        key_section="samples",
        uses_model=True,
    ),
    PageInfo(
        "latent",
        "🧭",
        "vae",
        "1.4.12",
        live_views=("latent",),
        key_section="map",
        uses_model=True,
    ),
    PageInfo(
        "draw",
        "✏️",
        "vae",
        "1.4.12",
        live_views=("draw",),
        key_section="pad",
        uses_model=True,
    ),
    PageInfo(
        "training",
        "🎬",
        "vae",
        "1.4.12",
        live_views=("timeline",),
        key_section="timeline",
        uses_model=False,
    ),
    PageInfo(
        "diffusion",
        "🌫️",
        "diffusion",
        "1.4.5–1.4.13",
        live_views=("noise", "ddpm"),
        key_section="noise",
        uses_model=False,
    ),
)

SECTIONS = ("elbo", "vae", "diffusion")  # "diffusion": a preview of the chapter's next section


class MissingPageError(FileNotFoundError):
    """A registry entry names a file that does not exist."""


def built_pages() -> list[PageInfo]:
    """Every registered page (not the home page), in the chapter's order.

    Raises :class:`MissingPageError` if an entry's file is missing (a typo in ``file``, a renamed page).
    """
    missing = [f"{page.slug}: {page.file}" for page in PAGES if not page.built]
    if missing:
        raise MissingPageError(f"ui/registry.py lists page files that do not exist: {', '.join(missing)}")
    return list(PAGES)


def page_info(slug: str) -> PageInfo:
    """The registry entry of a page by its slug (KeyError if there is none)."""
    for page in (HOME, LESSON, *PAGES):
        if page.slug == slug:
            return page
    raise KeyError(f"no page with slug {slug!r} in ui/registry.py")


def key_sections() -> dict[str, str | None]:
    """{url_path: the section link of the page's key live view} for the home page, the lesson and
    every page ("": the page's top; None: no live chart there) — what presenter mode must fit."""
    return {page.url_path: page.key_section for page in (HOME, LESSON, *built_pages())}


def page_at(url_path: str) -> PageInfo:
    """The registry entry of a page by its URL path (``"monte-carlo"``; ``""`` is home), KeyError if none."""
    for page in (HOME, LESSON, *PAGES):
        if page.url_path == url_path:
            return page
    raise KeyError(f"no page at /{url_path} in ui/registry.py")
