"""The real browser of the page tests: Debian's Chromium package, driven by Playwright
(Playwright's own browser download is not reachable here; ``make test`` installs it)."""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# flags for a machine with no network and no sandbox user namespace (root in a VM)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
