"""Certification on the Integration page: runs started in the background (one at a time per operator),
their progress polled as JSON, and the run form with the chosen and recent runs."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from netspace_mock.certification.registry import SUITE
from netspace_mock.domain import certification_runs as suite
from netspace_mock.domain import portal
from netspace_mock.errors import NotFound
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, join, tag
from netspace_mock.web.portal.run_view import progress_of, run_view
from netspace_mock.web.portal.visit import Visit

RUNS = web.AppKey("portal_certification_runs", dict)


def remember(app: web.Application, operator_id: int, run_id: str, task: asyncio.Task) -> None:
    runs = app[RUNS]
    runs[(operator_id, run_id)] = task
    task.add_done_callback(lambda _: runs.pop((operator_id, run_id), None))


def running(app: web.Application, operator_id: int) -> list[str]:
    """Ids of this operator's runs still in progress in this process."""
    return [run_id for (op, run_id) in app[RUNS] if op == operator_id]


async def stop_runs(app: web.Application) -> None:
    """On shutdown, before the database closes: a run cut short stays `running` and shows as interrupted."""
    tasks = list(app[RUNS].values())
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def progress(visit: Visit) -> web.Response:
    """GET …/{run_id}/progress: the run so far, as JSON (authorized by the session cookie)."""
    run = (await suite.get_run(visit.platform, visit.operator, visit.request.match_info["run_id"]))["run"]
    state = progress_of(run)
    if run["status"] == "running" and run["id"] not in running(visit.request.app, visit.operator.id):
        state["status"], state["error"] = "interrupted", "the mock stopped before this run finished"
    return web.json_response(state, headers={"Cache-Control": "no-store"})


async def sections(visit: Visit, form: dict[str, Any]) -> dict[str, Any]:
    """The certification part of the Integration page: the run form, the chosen run, recent runs."""
    platform, operator, app = visit.platform, visit.operator, visit.request.app
    runs = await portal.certification_runs(platform, operator)
    wanted = visit.request.query.get("run") or (runs[0]["run_id"] if runs else None)
    run, missing = None, EMPTY
    if wanted:
        try:
            run = (await suite.get_run(platform, operator, wanted[:128]))["run"]
        except NotFound:
            missing = render.notice(
                "error", f"There is no certification run {wanted[:128]!r} for your account."
            )
    target = (run or {}).get("target") or {}
    player_id = form.get("player_id") or target.get("player_id") or "test-player-1"
    currency = form.get("currency") or target.get("currency") or "USD"
    chosen = set(form.get("tests") or [c.id for c in SUITE.tests])
    checks = join(
        tag(
            "label",
            tag("input", type="checkbox", name="tests", value=c.id, checked=c.id in chosen)
            + " "
            + c.name
            + (
                tag("span", "required", class_="tag")
                if c.required
                else tag("span", "optional", class_="tag muted")
            ),
            class_="check",
        )
        for c in SUITE.tests
    )
    busy = running(app, operator.id)
    run_form = render.fill(
        "run_form",
        csrf=visit.csrf,
        tests=checks,
        player_id=player_id,
        currencies=render.currency_options(currency),
        disabled="disabled" if busy else "",
    )
    listed = render.table(
        ("Run", "Status", "Started"),
        [
            (
                tag("a", r["run_id"], href=f"/portal/integration?run={r['run_id']}#certification"),
                render.badge(r["status"]),
                render.when(r["started_at"]),
            )
            for r in runs
        ],
        "No certification run yet.",
    )
    shown = missing
    if run:
        heading = tag("h3", "Latest run" if run["id"] == runs[0]["run_id"] else "Run")
        shown += tag("div", heading + run_view(run, run["id"] in busy), class_="run")
    return {
        "form": run_form,
        "run": shown,
        "runs": tag("h3", "Recent runs") + listed if runs else EMPTY,
        "player_id": player_id,
        "currency": currency,
    }
