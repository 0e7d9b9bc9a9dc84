"""The preview site (`offres preview`): the regenerated page, one page per offer, search and filters."""
from pipeline.preview.site import build_preview, render_site

__all__ = ["build_preview", "render_site"]
