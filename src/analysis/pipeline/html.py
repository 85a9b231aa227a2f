"""The executed briefing notebook as a standalone HTML page for readers, not coders."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from analysis.provenance import write_text_atomic

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape_markdown(text: str) -> str:
    """Text from data or parameters, safe in Markdown: HTML-escaped (no tag or script can
    come through) and Markdown's own characters backslash-escaped."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(str(text), quote=True))


def briefing_markdown(place: str, verdict) -> str:
    """The verdict as Markdown for the briefing notebook; every text is escaped."""
    parts = [verdict.headline, verdict.supporting, verdict.qualifier, verdict.robustness_summary]
    parts = [p for p in parts if p] + [verdict.when_we_will_know]
    caveats = [f"*{escape_markdown(c)}*" for c in [verdict.caveat, *verdict.data_caveats]]
    title = f"## {escape_markdown(place)}: {escape_markdown(verdict.title)}"
    return "\n\n".join([title, *(escape_markdown(p) for p in parts), *caveats])


def early_html(title: str, verdict, image_png: Path | None, alt: str) -> str:
    """A standalone page for a run with nothing to estimate yet (no notebook to export)."""
    import base64
    import html

    parts = [verdict.headline, verdict.supporting, verdict.when_we_will_know, verdict.caveat]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in parts)
    img = ""
    if image_png is not None and image_png.exists():
        data = base64.b64encode(image_png.read_bytes()).decode()
        img = (
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            'style="max-width:100%;height:auto">'
        )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
        f'</head><body style="font-family:sans-serif;max-width:60em;margin:auto;padding:1em">'
        f"<h1>{html.escape(title)}</h1>{body}{img}</body></html>\n"
    )


#: Cells with this tag (the notebook's notes for developers) are left out of the page.
DEVELOPER_TAG = "developer"


def export_html(notebook: Path, dest: Path, title: str = "Briefing") -> Path:
    """The executed notebook as a standalone HTML page: no code, no cell tagged
    ``developer``, ``title`` as the browser title, alt text on every figure."""
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(notebook, as_version=4)
    hidden = {DEVELOPER_TAG, "parameters", "injected-parameters"}
    nb.cells = [c for c in nb.cells if not hidden & set(c.get("metadata", {}).get("tags", []))]
    nb.metadata["title"] = title
    config = Config()
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    exporter = HTMLExporter(config=config)
    exporter.log.setLevel(logging.ERROR)  # its missing-alt warning: we set alt below
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return write_text_atomic(dest, _finish_page(with_alt_text(body, nb), title))


def _finish_page(page: str, title: str) -> str:
    """The browser title, and images that never overflow a narrow window."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    if soup.title is None and soup.head is not None:
        soup.head.append(soup.new_tag("title"))
    if soup.title is not None:
        soup.title.string = title
    if soup.head is not None:
        style = soup.new_tag("style")
        style.string = "img { max-width: 100%; height: auto; } table { max-width: 100%; }"
        soup.head.append(style)
    return str(soup)


def with_alt_text(html: str, nb) -> str:
    """Copy each PNG output's alt text (IPython stores it in the output's metadata) onto its
    <img> tag, which nbconvert's templates leave without one."""
    from bs4 import BeautifulSoup

    alts = [
        output.get("metadata", {}).get("image/png", {}).get("alt", "")
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    soup = BeautifulSoup(html, features="html.parser")
    images = soup.select('img[src^="data:image/png"]')
    for image, alt in zip(images, alts, strict=False):
        image.attrs["alt"] = alt or "figure"
    return str(soup)
