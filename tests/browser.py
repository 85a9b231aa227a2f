"""Open a page in a real headless browser (Debian's chromium) and report what a reader
would see: how many images, how many failed to load, whether anything overflows the
window's width, and the browser title."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const wide = Array.from(document.querySelectorAll("body *")).filter(
    (e) => e.getBoundingClientRect().right > window.innerWidth + 1);
  const result = {
    images: images.length,
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0)).length,
    without_alt: images.filter((i) => !i.alt).length,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    too_wide: wide.slice(0, 5).map((e) => e.tagName + "." + e.className),
    title: document.title,
  };
  const pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify(result);
  document.body.appendChild(pre);
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "no chromium: .ci/run installs Debian's chromium package"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def open_in_browser(page: Path, scratch: Path, width: int = 1024) -> dict:
    """Load ``page`` (a copy with the probe script) and return the probe's findings."""
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / f"probe-{width}.html"
    html = page.read_text(encoding="utf-8")
    copy.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    out = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={scratch / 'profile'}",
            f"--window-size={width},900",
            "--virtual-time-budget=15000",
            "--dump-dom",
            copy.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', out.stdout, flags=re.S)
    assert found, f"the page did not finish loading: {out.stderr[-1500:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
