"""How one certification run looks: the live progress panel portal.js keeps current, then each test
with its steps, and each step's request and answer (expandable)."""

from __future__ import annotations

from typing import Any

from netspace_mock.certification.registry import SUITE
from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import EMPTY, Html, join, tag

TOTAL = len(SUITE.tests) + len(SUITE.advisories)


def _summary(result: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: result.get(k) for k in ("test", "name", "required", "status", "message", "duration_ms")} | {
        "key": key
    }


def progress_of(run: dict[str, Any]) -> dict[str, Any]:
    items = [_summary(r, r["test"]) for r in run["results"]]
    items += [_summary(r, "advisory:" + r["test"]) for r in run.get("advisories", [])]
    return {
        "id": run["id"],
        "status": run["status"],
        "done": len(items),
        "total": TOTAL,
        "items": items,
        "error": run.get("error"),
    }


def _live(run: dict[str, Any]) -> Html:
    """The progress panel portal.js keeps current; it loads the finished run when the status changes."""
    done = {r["key"]: r for r in progress_of(run)["items"]}
    rows = []
    for case, key in [(c, c.id) for c in SUITE.tests] + [(c, "advisory:" + c.id) for c in SUITE.advisories]:
        r = done.get(key, {"status": "waiting", "message": ""})
        label = case.name + ("" if key == case.id else " (advisory)")
        rows.append(
            tag(
                "li",
                render.badge(r["status"])
                + " "
                + tag("span", label, class_="name")
                + tag("span", r["message"], class_="msg"),
                data_key=key,
            )
        )
    return tag(
        "div",
        tag(
            "p",
            join(
                [
                    tag("strong", "Running… "),
                    tag("span", f"{len(done)} of {TOTAL} checks done", data_count=True),
                ]
            ),
        )
        + tag("progress", "", max=TOTAL, value=len(done))
        + tag("ol", join(rows), class_="live"),
        class_="progress-panel",
        data_progress_url=f"/portal/integration/certification/{run['id']}/progress",
        data_done_url=f"/portal/integration?run={run['id']}#certification",
        aria_live="polite",
    )


def _step(step: dict[str, Any]) -> Html:
    req, ans = step["request"], step["response"]
    mark = "✓" if step["passed"] else "✗"
    summary = tag(
        "summary",
        join([tag("span", mark, class_="mark"), " ", tag("strong", step["name"]), " — ", step["message"]]),
    )
    expected = tag(
        "p", join(["Expected: ", step["expected"], f" · {step.get('latency_ms', 0):.1f} ms"]), class_="muted"
    )
    request = (
        tag("h5", "Request")
        + tag("p", f"{req.get('method', 'POST')} {req.get('url', '')}", class_="mono")
        + render.pretty(req.get("headers", {}))
        + render.pretty(req.get("body", ""))
    )
    status = ans.get("status")
    answer = (
        tag("h5", "Answer")
        + tag(
            "p",
            f"{'HTTP ' + str(status) if status is not None else 'no answer'} · {ans.get('outcome', '')}",
            class_="mono",
        )
        + (tag("p", ans["reason"], class_="muted") if ans.get("reason") else EMPTY)
        + render.pretty(ans.get("body"))
    )
    exchange = tag("div", tag("div", request) + tag("div", answer), class_="exchange")
    return tag(
        "li",
        tag("details", summary + expected + exchange, class_="step " + ("ok" if step["passed"] else "bad")),
    )


def _result(r: dict[str, Any]) -> Html:
    summary = tag(
        "summary",
        join(
            [
                render.badge(r["status"]),
                " ",
                tag("strong", r["name"]),
                " ",
                tag("span", "required" if r["required"] else "optional", class_="tag"),
                " ",
                tag("span", r["message"], class_="msg"),
                tag("span", f"{r['duration_ms']} ms", class_="ms"),
            ]
        ),
    )
    steps = tag("ol", join(_step(s) for s in r["steps"]), class_="step-list") if r["steps"] else EMPTY
    return tag(
        "details", summary + steps, class_=f"test {r['status']}", open=r["status"] in ("failed", "warning")
    )


def run_view(run: dict[str, Any], live: bool) -> Html:
    target = run.get("target") or {}
    facts = [
        ("Run", tag("code", run["id"])),
        ("Status", render.badge(run["status"])),
        ("Started", render.when(run["started_at"])),
        ("Finished", render.when(run["finished_at"])),
        ("Player", f"{target.get('player_id', '—')} · {target.get('currency', '')}"),
        ("Webhook", tag("code", target.get("webhook_url", "—"))),
    ]
    if run.get("net_balance_change") is not None:
        facts.append(("Net balance change", run["net_balance_change"]))
    head = tag("dl", join(tag("dt", k) + tag("dd", v) for k, v in facts), class_="facts compact")
    if run.get("error"):
        head += render.notice("error", run["error"])
    if run["status"] == "running":
        if live:
            return head + _live(run)
        head += render.notice(
            "error", "Interrupted: the mock stopped before this run finished. Run it again."
        )
    tests = join(_result(r) for r in run["results"])
    advisories = run.get("advisories") or []
    warned = sum(1 for a in advisories if a["status"] == "warning")
    extra = (
        tag(
            "details",
            tag("summary", f"Advisory checks ({len(advisories)}, {warned} with a warning)")
            + join(_result(a) for a in advisories),
            class_="advisories",
        )
        if advisories
        else EMPTY
    )
    return head + tag("div", tests, class_="tests") + extra
