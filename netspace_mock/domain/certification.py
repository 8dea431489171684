"""Certification from the API: run the suite against the operator's own webhook, store runs, report status."""

from __future__ import annotations

from typing import Any

from netspace_mock.certification import runner
from netspace_mock.certification.probe import Target, Unreachable
from netspace_mock.domain import calls
from netspace_mock.domain.platform import Platform
from netspace_mock.errors import InvalidRequest, NotFound, WebhookError
from netspace_mock.store import certification as store
from netspace_mock.store.operators import Operator


def tests() -> dict[str, Any]:
    return {"tests": runner.catalogue()}


async def run(platform: Platform, operator: Operator, body: dict[str, Any]) -> dict[str, Any]:
    unknown = runner.unknown_tests(body.get("tests"))
    if unknown:
        ids = ", ".join(t["id"] for t in runner.catalogue())
        raise InvalidRequest.at("$.tests", f"unknown test {unknown[0]!r}; the tests are: {ids}")
    await store.register_player(
        platform.db, operator.id, body["player_id"], body["currency"], platform.now_iso()
    )
    target = Target(
        url=calls.webhook_url(platform, operator),
        api_key=operator.api_key,
        secret=operator.secret_key,
        player_id=body["player_id"],
        currency=body["currency"],
        session_id=body.get("session_id") or platform.ids.make("cert_", 20),
    )
    started = platform.clock.now()
    run_id = platform.ids.make("run_", 20)

    async def progress(report: dict[str, Any]) -> None:
        await store.save(platform.db, operator.id, report, started)

    try:
        report = await runner.run(
            target,
            platform.webhooks,
            platform.ids,
            platform.clock,
            run_id,
            body.get("tests"),
            progress=progress,
        )
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
