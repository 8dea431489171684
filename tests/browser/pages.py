"""What the browser tests share: a page kept to the mock (a request to any other host refused and
recorded, every console error and uncaught exception recorded) and the portal's sign-in."""

from __future__ import annotations

from dataclasses import dataclass, field

from support import API_KEY, SECRET


@dataclass
class Watch:
    outside: list[str] = field(default_factory=list)  # what the page asked of any other host
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    api: list[tuple[dict, str]] = field(default_factory=list)  # each /api request: headers, body


async def keep_to_the_mock(page, origin: str) -> Watch:
    """From now on the page reaches only `origin`; what it tries elsewhere and every error it logs are
    in the returned Watch."""
    watch = Watch()

    async def only_the_mock(route):
        url = route.request.url
        if url.startswith(origin + "/"):
            if "/api/" in url:
                watch.api.append((route.request.headers, route.request.post_data or ""))
            await route.continue_()
        else:
            watch.outside.append(url)
            await route.abort()

    await page.context.route("**/*", only_the_mock)
    page.on("console", lambda m: m.type == "error" and watch.errors.append(m.text))
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    return watch


async def sign_in(page, origin: str, api_key: str = API_KEY, secret: str = SECRET) -> None:
    """Through the portal's sign-in form, to its Dashboard."""
    await page.goto(origin + "/portal/sign-in")
    await page.fill("#api_key", api_key)
    await page.fill("#secret_key", secret)
    await page.click("button[type=submit]")
    await page.wait_for_selector("h1:has-text('Dashboard')")
