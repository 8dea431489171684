"""Runs the selected tests and the advisory checks against one target and builds the *run* object."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from netspace_mock.certification.probe import Probe, Target
from netspace_mock.certification.registry import SUITE, Case, Registry
from netspace_mock.certification.steps import Failed, Skipped
from netspace_mock.sources import Clock, Ids, iso
from netspace_mock.webhooks.client import WebhookClient

Progress = Callable[[dict[str, Any]], Awaitable[None] | None]


def catalogue(suite: Registry = SUITE) -> list[dict[str, Any]]:
    """The tests as GET /api/certification/tests lists them, in the order they run."""
    return [
        {"id": c.id, "name": c.name, "required": c.required, "description": c.description}
        for c in suite.tests
    ]


def unknown_tests(selected: list[str] | None, suite: Registry = SUITE) -> list[str]:
    return [t for t in selected or [] if suite.test(t) is None]


async def _one(case: Case, probe: Probe) -> dict[str, Any]:
    first = len(probe.steps)
    started = time.perf_counter()
    status, message = "passed", "passed"
    try:
        await case.run(probe)
    except Failed as failure:
        status, message = "failed", str(failure)
    except Skipped as skipped:
        status, message = "skipped", str(skipped)
    return {
        "test": case.id,
        "name": case.name,
        "required": case.required,
        "status": status,
        "message": message,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "steps": [s.as_dict() for s in probe.steps[first:]],
    }


def new_report(target: Target, run_id: str, started_at: str) -> dict[str, Any]:
    """The *run* object before any test: status running, no results yet."""
    return {
        "id": run_id,
        "status": "running",
        "started_at": started_at,
        "finished_at": None,
        "target": {
            "webhook_url": target.url,
            "player_id": target.player_id,
            "currency": target.currency,
            "session_id": target.session_id,
        },
        "results": [],
        "advisories": [],
        "net_balance_change": None,
    }


async def run(
    target: Target,
    client: WebhookClient,
    ids: Ids,
    clock: Clock,
    run_id: str,
    selected: list[str] | None = None,
    advisories: bool = True,
    progress: Progress | None = None,
    suite: Registry = SUITE,
) -> dict[str, Any]:
    """Every selected test of `suite` in its order, then its advisory checks. Raises Unreachable when
    the webhook cannot be reached at all."""
    probe = Probe(target, client, ids, clock)
    wanted = set(selected or [c.id for c in suite.tests])
    report = new_report(target, run_id, iso(clock.now()))
    opening = await probe.balance("balance before the run")
    for case in suite.tests:
        if case.id not in wanted:
            result = {
                "test": case.id,
                "name": case.name,
                "required": case.required,
                "status": "skipped",
                "message": "not selected",
                "duration_ms": 0,
                "steps": [],
            }
        else:
            result = await _one(case, probe)
        report["results"].append(result)
        await _tell(progress, report)
    if advisories:
        for case in suite.advisories:
            result = await _one(case, probe)
            if result["status"] == "failed":
                result["status"] = "warning"
            report["advisories"].append(result)
            await _tell(progress, report)
    closing = await probe.balance("balance after the run")
    if opening is not None and closing is not None:
        report["net_balance_change"] = closing - opening
    required_ok = all(
        r["status"] == "passed" for r in report["results"] if r["required"] and r["test"] in wanted
    )
    report["status"] = "passed" if required_ok else "failed"
    report["finished_at"] = iso(clock.now())
    await _tell(progress, report)
    return report


async def _tell(progress: Progress | None, report: dict[str, Any]) -> None:
    if progress is not None:
        result = progress(report)
        if result is not None:
            await result


def certified(report: dict[str, Any] | None) -> bool:
    """True when every required test of this run passed (a skipped required test does not count)."""
    if report is None or report.get("status") == "running":
        return False
    required = [r for r in report["results"] if r["required"]]
    return bool(required) and all(r["status"] == "passed" for r in required)
