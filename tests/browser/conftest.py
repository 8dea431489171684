"""Browser fixtures: the app served on a real port, and a headless Chromium driven by Playwright.

The system's Chromium is used (installed by .ci/run from the system packages); nothing is downloaded.
Every test saves a screenshot under the test's tmp folder; `screenshot(page, name)` (or of one element,
`screenshot(page, name, locator)`) also copies it to
docs/screenshots/ when NETSPACE_MOCK_SCREENSHOTS=1 (how the committed screenshots are refreshed).
"""

from __future__ import annotations

import os
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

CHROMIUM = next(
    (
        p
        for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
        if p and Path(p).exists()
    ),
    None,
)
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium():
    if CHROMIUM is None:
        pytest.skip("no Chromium installed (.ci/run installs the system package 'chromium')")
    playwright_api = pytest.importorskip("playwright.async_api")
    return playwright_api


@pytest.fixture
def launch(chromium):
    """`async with launch(*switches) as browser`: a headless Chromium with these command-line switches
    added to ARGS."""

    @asynccontextmanager
    async def start(*switches: str):
        async with chromium.async_playwright() as pw:
            instance = await pw.chromium.launch(
                executable_path=CHROMIUM, args=[*ARGS, *switches], headless=True
            )
            try:
                yield instance
            finally:
                await instance.close()

    return start


@pytest.fixture
async def browser(launch):
    async with launch() as instance:
        yield instance


@pytest.fixture
async def page(browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
def screenshot(tmp_path):
    async def take(page, name: str, element=None) -> Path:
        """The whole page, or only `element` (a locator) when given."""
        path = tmp_path / f"{name}.png"
        if element is not None:
            await element.screenshot(path=str(path))
        else:
            await page.screenshot(path=str(path), full_page=True)
        if os.environ.get("NETSPACE_MOCK_SCREENSHOTS") == "1":
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_SHOTS / f"{name}.png")
        return path

    return take
