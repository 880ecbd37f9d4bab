"""Debian's chromium driven by Playwright, for the chat page's browser tests.

Playwright's own browser download cannot run here (and CI installs Debian's ``chromium``), so
tests launch the system binary headless with the flags below. ``chromium_or_skip()`` skips the
calling test, naming the missing package, when no chromium is installed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    """The chromium binary on PATH (Debian names it ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def chromium_or_skip() -> Iterator[Any]:
    """A headless Playwright ``Browser`` on the system chromium; skips when there is none."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
