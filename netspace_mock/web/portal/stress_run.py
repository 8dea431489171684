"""A short stress run on the Integration page: `netspace-mock stress` against the operator's webhook in the
background (one at a time per operator, at most 30 s and 2,000 rounds), its progress polled as JSON for a
live chart, and its report once it ends. Kept in memory: a restart forgets it."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from netspace_mock import jsonio
from netspace_mock import settings as settings_mod
from netspace_mock.domain import calls, money
from netspace_mock.stress import report
from netspace_mock.stress.command import play
from netspace_mock.stress.plan import Mix
from netspace_mock.stress.record import Config, StressError
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, Html, join, tag
from netspace_mock.web.portal.visit import Visit

MAX_ROUNDS, MAX_SECONDS, MAX_CONCURRENCY, MAX_PLAYERS = 2_000, 30.0, 16, 20
DEFAULT_ROUNDS, DEFAULT_CONCURRENCY = 500, 8
ANCHOR = "/portal/integration#stress"
STRESS_PLAYERS = ", ".join(f"stress-player-{n}" for n in range(1, 6))


@dataclass
class PortalRun:
    """One operator's latest run: its figures a second apart, and its report or why it stopped."""

    url: str
    rounds: int
    started_at: float
    points: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    task: asyncio.Task | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "running" if self.result is None else ("passed" if self.result["passed"] else "failed")


RUNS = web.AppKey("portal_stress_runs", dict)


def setup(app: web.Application) -> None:
    app[RUNS] = {}
    app.on_shutdown.append(stop_runs)


async def stop_runs(app: web.Application) -> None:
    tasks = [r.task for r in app[RUNS].values() if r.task is not None and not r.task.done()]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _players(text: str) -> tuple[str, ...]:
    players = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    if not players or len(players) > MAX_PLAYERS or any(len(p) > 128 or not p.isprintable() for p in players):
        raise ValueError(f"give 1 to {MAX_PLAYERS} player ids, comma-separated")
    return players


def _number(visit: Visit, name: str, default: int, top: int) -> int:
    text = visit.field(name).strip() or str(default)
    if not text.isdigit() or not 1 <= int(text) <= top:
        raise ValueError(f"{name} must be a whole number from 1 to {top}")
    return int(text)


def _config(visit: Visit) -> Config:
    platform, operator = visit.platform, visit.operator
    currency = visit.field("currency")
    if currency not in money.DECIMALS:
        raise ValueError(f"{currency[:10]!r} is not a currency of the platform")
    return Config(
        url=calls.webhook_url(platform, operator),
        api_key=operator.api_key,
        secret=operator.secret_key,
        currency=currency,
        players=_players(visit.field("players")),
        rounds=_number(visit, "rounds", DEFAULT_ROUNDS, MAX_ROUNDS),
        duration=MAX_SECONDS,
        concurrency=_number(visit, "concurrency", DEFAULT_CONCURRENCY, MAX_CONCURRENCY),
        rate=None,
        mix=Mix(),
        seed=secrets.randbits(32),  # not the platform's seeded draws: a run must not shift its ids
        settings=platform.settings,
    )


async def start(visit: Visit) -> web.Response:
    """POST /portal/integration/stress: a short run in the background against the configured webhook."""
    platform, operator, runs = visit.platform, visit.operator, visit.request.app[RUNS]
    current = runs.get(operator.id)
    if current is not None and current.status == "running":
        return await visit.redirect(
            ANCHOR, "error", "A stress run is already in progress; wait for it to end."
        )
    try:
        cfg = _config(visit)
    except ValueError as exc:
        return await visit.redirect(ANCHOR, "error", f"The stress run was not started: {exc}.")
    run = PortalRun(cfg.url, cfg.rounds, platform.clock.now())
    runs[operator.id] = run
    run.task = asyncio.create_task(_play(run, cfg, platform.clock))
    return await visit.redirect(ANCHOR, "ok", "Stress run started: it shows below as it goes.")


async def _play(run: PortalRun, cfg: Config, clock) -> None:
    def progress(figures: dict) -> None:
        run.points.append(
            {k: figures[k] for k in ("elapsed_s", "rounds", "rounds_per_s", "errors", "p99_ms")}
        )

    try:
        run.result = await play(cfg, progress, clock)
    except StressError as exc:
        run.error = str(exc)
    except Exception as exc:  # shown on the page: the run is the operator's to retry
        run.error = f"the run failed: {type(exc).__name__}: {str(exc)[:300]}"


async def progress(visit: Visit) -> web.Response:
    """GET /portal/integration/stress/progress: the latest run's figures so far, as JSON."""
    run = visit.request.app[RUNS].get(visit.operator.id)
    state: dict[str, Any] = {"status": "none"}
    if run is not None:
        state = {"status": run.status, "rounds": run.rounds, "points": run.points, "error": run.error}
        if run.result is not None:
            state["summary"] = _summary(run.result)
    return web.Response(
        body=jsonio.dumps(state), content_type="application/json", headers={"Cache-Control": "no-store"}
    )


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    rec = result["reconciliation"]
    return {
        "rounds": result["rounds"]["played"],
        "rounds_per_s": result["rounds"]["per_second"],
        "mishandled": result["errors"]["mishandled"],
        "players_reconciled": rec["players_reconciled"],
        "players": result["players"],
        "passed": result["passed"],
    }


def section(visit: Visit) -> Html:
    """The Integration page's stress card: the form, and the latest run (its chart filled by stress.js)."""
    platform, operator = visit.platform, visit.operator
    run = visit.request.app[RUNS].get(operator.id)
    players = STRESS_PLAYERS
    if not operator.webhook_url:
        # The reference wallet knows its test players from the start; stress players need a balance.
        listed = sorted(p for p, _ in settings_mod.test_players(platform.settings.wallet_test_players))
        players = ", ".join(listed) or STRESS_PLAYERS
    shown: Html = EMPTY
    if run is not None:
        facts = join([render.badge(run.status), " against ", tag("code", run.url)])
        shown = tag("h3", "Latest run") + tag("p", facts, class_="muted")
        if run.error:
            shown += render.notice("error", run.error)
        shown += tag("div", "", class_="stress-chart", data_stress_url="/portal/integration/stress/progress")
        if run.result is not None:
            shown += tag("pre", report.text(run.result).strip(), class_="stress-report")
    return render.fill(
        "stress",
        csrf=visit.csrf,
        players=players,
        currencies=render.currency_options("USD"),
        rounds=DEFAULT_ROUNDS,
        max_rounds=MAX_ROUNDS,
        concurrency=DEFAULT_CONCURRENCY,
        max_concurrency=MAX_CONCURRENCY,
        seconds=f"{MAX_SECONDS:g}",
        disabled="disabled" if run is not None and run.status == "running" else "",
        run=shown,
    )
