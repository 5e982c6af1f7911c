"""The static leaderboard site: one self-contained HTML page per suite and an index."""

from judgebench.site.render import publish, render_index, render_suite_page, write_site

__all__ = ["publish", "render_index", "render_suite_page", "write_site"]
