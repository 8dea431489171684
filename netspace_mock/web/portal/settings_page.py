"""Settings: the delivery policy, signature checks and platform limits in force, read-only."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from netspace_mock import settings as platform_settings
from netspace_mock.domain import portal_limits as limits
from netspace_mock.web.portal import auth, render
from netspace_mock.web.portal.render import Html, join, tag
from netspace_mock.web.portal.visit import Visit

GROUPS = (
    (
        "Webhook delivery policy",
        ("webhook_timeout", "webhook_retries", "webhook_backoff", "close_lost_rounds", "attempt_retention"),
    ),
    (
        "Signature and request checks",
        (
            "strict",
            "timestamp_tolerance",
            "signature_path",
            "empty_body_signature",
            "canonical_body",
            "unknown_query_parameters",
        ),
    ),
    (
        "Platform",
        (
            "session_ttl",
            "demo_balance",
            "max_body_bytes",
            "freebet_requires_player",
            "wallet_initial_balance",
        ),
    ),
    ("Request journal", ("journal_retention", "journal_body_bytes", "journal_storage_bytes")),
)
UNITS = {"webhook_timeout": "s", "webhook_backoff": "s", "timestamp_tolerance": "s", "session_ttl": "s"}


def shown(value: Any, unit: str = "") -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value} {unit}".strip()


def meaning(help_text: str) -> Html:
    """A setting's help, written for the docs in Markdown: `code` spans become <code>."""
    return join(tag("code", part) if i % 2 else part for i, part in enumerate(help_text.split("`")))


def retry_schedule(current: platform_settings.Settings) -> str:
    waits = [current.webhook_backoff * 2**n for n in range(max(0, current.webhook_retries - 1))]
    return ", ".join(f"{w:g} s" for w in waits) or "no retries"


def _flags(f: dataclasses.Field) -> Html:
    flag, env = platform_settings.flag_name(f), platform_settings.env_name(f)
    return join([tag("code", flag), tag("br"), tag("code", env)])


def _group(title: str, rows: list[tuple[Any, ...]]) -> Html:
    table = render.table(("Setting", "Value", "Meaning", "Flag / environment variable"), rows, "")
    return tag("section", tag("h2", title) + table, class_="card")


async def page(visit: Visit) -> web.Response:
    current = visit.platform.settings
    by_name = {f.name: f for f in platform_settings.fields()}
    groups = []
    for title, names in GROUPS:
        rows = []
        for name in names:
            f = by_name[name]
            rows.append(
                (
                    name.replace("_", " "),
                    tag("strong", shown(getattr(current, name), UNITS.get(name, ""))),
                    meaning(f.metadata["help"]),
                    _flags(f),
                )
            )
        if title.startswith("Webhook"):
            rows.append(
                (
                    "retry waits",
                    tag("strong", retry_schedule(current)),
                    "waits between the attempts of a win, refund or rollback",
                    "derived",
                )
            )
        groups.append(_group(title, rows))
    groups.append(_group("Portal sign-in and registration", portal_rows(current)))
    body = render.fill("settings", groups=join(groups))
    return visit.page("Settings", body, active="settings")


def portal_rows(current: platform_settings.Settings) -> list[tuple[Any, ...]]:
    """The sign-in limits (fixed) and the registration settings."""
    by_name = {f.name: f for f in platform_settings.fields()}
    opening, limit = by_name["open_registration"], by_name["registration_limit"]
    return [
        (
            "session length",
            tag("strong", f"{auth.SESSION_SECONDS // 3600} h"),
            "from sign-in, fixed (not extended by use)",
            "—",
        ),
        (
            "sign-in attempts",
            tag("strong", f"{limits.FREE_FAILURES} free"),
            f"per API key from one client address; then a wait of {limits.FIRST_WAIT:g} s after each "
            f"failure, doubling up to {limits.MAX_WAIT:g} s, until a sign-in with that key succeeds "
            f"(failures forgotten after {limits.FAILURE_MEMORY // 60} min)",
            "—",
        ),
        (
            "failed sign-ins per address",
            tag("strong", f"{limits.ADDRESS_FAILURES} in {limits.FAILURE_MEMORY // 60} min"),
            "from one client address, whatever the API keys; then its sign-ins wait until the oldest is "
            "forgotten",
            "—",
        ),
        (
            "registration",
            tag("strong", "open" if current.registration_open else "closed"),
            meaning(opening.metadata["help"]) + f" (set to {current.open_registration})",
            _flags(opening),
        ),
        (
            "registration limit",
            tag("strong", f"{current.registration_limit} an hour"),
            meaning(limit.metadata["help"]),
            _flags(limit),
        ),
    ]
