"""Certification from the API: run the suite against the operator's own webhook, store runs, report status."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from netspace_mock.certification import runner
from netspace_mock.certification.probe import Target, Unreachable
from netspace_mock.certification.runner import Progress
from netspace_mock.domain import calls
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest, NotFound, WebhookError
from netspace_mock.sources import iso
from netspace_mock.store import certification as store
from netspace_mock.store.operators import Operator

log = logging.getLogger("netspace_mock.certification")


def tests() -> dict[str, Any]:
    return {"tests": runner.catalogue()}


async def run(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    target = await prepare(platform, operator, body)
    started = platform.clock.now()
    run_id = platform.ids.make("run_", 20)

    async def progress(report: dict[str, Any]) -> None:
        await store.save(platform.db, operator.id, report, started)

    try:
        report = await _suite(platform, target, run_id, body, progress)
    except Unreachable as exc:
        raise WebhookError(
            f"the webhook could not be reached: {exc}", details={"webhook_url": target.url}
        ) from None
    return {"run": report}


async def status(platform: Platform, operator: Operator) -> dict[str, Any]:
    latest = await store.latest(platform.db, operator.id)
    results = latest["results"] if latest else []
    return {
        "certified": runner.certified(latest),
        "last_run": None
        if latest is None
        else {k: latest[k] for k in ("id", "status", "started_at", "finished_at")},
        "required_passed": [r["test"] for r in results if r["required"] and r["status"] == "passed"],
        "required_failed": [r["test"] for r in results if r["required"] and r["status"] != "passed"],
    }


async def get_run(platform: Platform, operator: Operator, run_id: str) -> dict[str, Any]:
    found = await store.get(platform.db, operator.id, run_id)
    if found is None:
        raise NotFound(f"certification run {run_id!r} does not exist")
    return {"run": found}


# ---- running in the background (the portal) ---------------------------------------------------


async def prepare(platform: Platform, operator: Operator, body: dict[str, Any]) -> Target:
    """What every run starts with: the selected tests checked, the test player registered as a player
    the platform knows, and the target (the operator's webhook, credentials and test player)."""
    unknown = runner.unknown_tests(body.get("tests"))
    if unknown:
        ids = ", ".join(t["id"] for t in runner.catalogue())
        raise InvalidRequest.at("$.tests", f"unknown test {unknown[0]!r}; the tests are: {ids}")
    for player in filter(None, (body["player_id"], body.get("other_player_id"))):
        await store.register_player(platform.db, operator.id, player, body["currency"], platform.now_iso())
    # Without a session_id, the player's latest session: one the operator issued, which a wallet that
    # checks sessions takes (a made-up one it would refuse).
    session_id = body.get("session_id") or await store.latest_session(
        platform.db, operator.id, body["player_id"], body["currency"]
    )
    return Target(
        url=calls.webhook_url(platform, operator),
        api_key=operator.api_key,
        secret=operator.secret_key,
        player_id=body["player_id"],
        currency=body["currency"],
        session_id=session_id or platform.ids.make("cert_", 20),
        session_given=session_id is not None,
        other_player_id=body.get("other_player_id"),
    )


async def start(
    platform: Platform, operator: Operator, body: dict[str, Any]
) -> tuple[dict[str, Any], asyncio.Task]:
    """Like `run`, but the suite runs in a background task: the run is stored at once (status running)
    and again after every test, so a caller polls it with `get_run`. Returns that first snapshot and the
    task. A webhook that cannot be reached, or any other failure, ends the run `failed` with `error`."""
    target = await prepare(platform, operator, body)
    started, run_id = platform.clock.now(), platform.ids.make("run_", 20)
    latest = runner.new_report(target, run_id, iso(started))
    await store.save(platform.db, operator.id, latest, started)

    async def progress(report: dict[str, Any]) -> None:
        nonlocal latest
        latest = report
        await store.save(platform.db, operator.id, report, started)

    async def go() -> dict[str, Any]:
        try:
            return await _suite(platform, target, run_id, body, progress)
        except Exception as exc:
            if isinstance(exc, Unreachable):
                error = f"the webhook could not be reached: {exc}"
            else:
                log.exception("certification run %s stopped by an unexpected error", run_id)
                error = "the run stopped on an unexpected error in netspace-mock (see its log)"
            ended = {**latest, "status": "failed", "finished_at": platform.now_iso(), "error": error}
            ended["results"] = _unfinished(latest["results"], body.get("tests"), error)
            await store.save(platform.db, operator.id, ended, started)
            return ended

    return latest, asyncio.create_task(go(), name=f"certification {run_id}")


async def _suite(
    platform: Platform, target: Target, run_id: str, body: dict[str, Any], progress: Progress
) -> dict[str, Any]:
    """The suite's run against `target`, as the API and the portal both start it."""
    return await runner.run(
        target, platform.webhooks, platform.ids, platform.clock, run_id, body.get("tests"), progress=progress
    )


def _unfinished(
    results: list[dict[str, Any]], selected: list[str] | None, error: str
) -> list[dict[str, Any]]:
    """The results of a run that stopped early: every test it did not reach is failed (or skipped, when
    not selected), so the run can never count as certified."""
    done = {r["test"] for r in results}
    rest = [
        {
            "test": t["id"],
            "name": t["name"],
            "required": t["required"],
            "status": "failed" if not selected or t["id"] in selected else "skipped",
            "message": error if not selected or t["id"] in selected else "not selected",
            "duration_ms": 0,
            "steps": [],
        }
        for t in runner.catalogue()
        if t["id"] not in done
    ]
    return results + rest
