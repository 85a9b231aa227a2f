"""The executed briefing notebook as a standalone HTML page for readers, not coders."""

from __future__ import annotations

import logging
from pathlib import Path

from analysis.provenance import write_text_atomic


def export_html(notebook: Path, dest: Path) -> Path:
    """The executed notebook as HTML without code cells."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    exporter.log.setLevel(logging.ERROR)  # its missing-alt warning: we set alt below
    body, _ = exporter.from_notebook_node(nb)
    return write_text_atomic(dest, with_alt_text(body, nb))


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
