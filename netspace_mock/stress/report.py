"""A stress run's report: one dict (written by --json), its text for the console, its JUnit XML, and the
progress line."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from netspace_mock.stress import ledger
from netspace_mock.stress.ledger import PlayerReconciliation, Verdict
from netspace_mock.stress.record import Run, percentile

SHARES = (0.5, 0.9, 0.99, 0.999)
SHOWN = 20  # players off shown in the text; --json has every one


def build(run: Run) -> dict[str, Any]:
    """The report: throughput, latency per action, errors by kind, faults played, reconciliation."""
    cfg = run.config
    players = [
        ledger.reconcile(p, run.start_balances[p], run.entries, run.observed, run.final.get(p))
        for p in cfg.players
    ]
    elapsed = run.elapsed or 1e-9
    discrepancies = [p for p in players if not p.reconciled]
    mishandled = sum(run.mishandled.values())
    return {
        "webhook_url": cfg.url,
        "currency": cfg.currency,
        "players": len(cfg.players),
        "seed": cfg.seed,
        "mix": cfg.mix.shares,
        "concurrency": cfg.concurrency,
        "rate": cfg.rate,
        "finished_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "duration_s": round(run.elapsed, 3),
        "plan_digest": run.digest.hexdigest()[:16],
        "rounds": {
            "played": run.rounds_done,
            "per_second": round(run.rounds_done / elapsed, 1),
            "by_status": dict(sorted(run.statuses.items())),
            "faults": dict(sorted(run.faults.items())),
        },
        "calls": {
            "sent": run.calls_sent,
            "per_second": round(run.calls_sent / elapsed, 1),
            "latency_ms": {action: _latency(values) for action, values in sorted(run.latencies.items())},
        },
        "errors": {
            "mishandled": mishandled,
            "by_kind": [
                {
                    "kind": kind,
                    "count": count,
                    "mishandled": kind in run.mishandled,
                    "example": run.examples.get(kind, ""),
                }
                for kind, count in run.errors.most_common()
            ],
        },
        "reconciliation": {
            "reconciled": not discrepancies,
            "players_reconciled": len(players) - len(discrepancies),
            "discrepancies": [_player(p) for p in discrepancies],
            "players": [_player(p) for p in players],
        },
        "passed": not discrepancies and not mishandled,
    }


def _latency(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    shown = {f"p{str(share * 100).rstrip('0').rstrip('.')}": percentile(ordered, share) for share in SHARES}
    return {"count": len(ordered), **{k: round(v, 2) for k, v in shown.items()}, "max": round(ordered[-1], 2)}


def _player(p: PlayerReconciliation) -> dict[str, Any]:
    return {
        "player_id": p.player_id,
        "start_balance": p.start,
        "expected_balance": p.expected,
        "expected_range": None if p.low == p.high else [p.low, p.high],
        "answered_balance": p.answered,
        "answers_checked": p.answers_checked,
        "reconciled": p.reconciled,
        "first_discrepancy": None if p.first_discrepancy is None else _verdict(p.first_discrepancy),
    }


def _verdict(v: Verdict) -> dict[str, Any]:
    o = v.observed
    return {
        "action": o.action,
        "transaction_id": o.transaction_id,
        "round_id": o.round_id,
        "answered_balance": o.balance,
        "expected_balance": v.expected,
        "expected_range": None if v.low == v.high else [v.low, v.high],
        "off_by": o.balance - v.expected,
    }


def progress_line(s: dict) -> str:
    done = f"{s['rounds']}" + (f"/{s['planned']}" if s.get("planned") else "")
    return (
        f"rounds {done}  {s['rounds_per_s']:.0f} rounds/s  {s['calls']} calls  errors {s['errors']}  "
        f"p50 {s['p50_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms  ({s['elapsed_s']:.0f} s)"
    )


def text(report: dict[str, Any]) -> str:
    r, c, e, rec = report["rounds"], report["calls"], report["errors"], report["reconciliation"]
    lines = [
        "",
        f"rounds      {r['played']} in {report['duration_s']:.1f} s: {r['per_second']:.1f} rounds/s "
        f"({', '.join(f'{k} {v}' for k, v in r['by_status'].items())})",
        f"calls       {c['sent']}: {c['per_second']:.1f} calls/s",
        f"faults      {', '.join(f'{k} {v}' for k, v in r['faults'].items()) or 'none'}",
        "latency     action        count      p50      p90      p99    p99.9      max  (ms)",
    ]
    for action, lat in c["latency_ms"].items():
        lines.append(
            f"            {action:<10} {lat['count']:>8} "
            + " ".join(f"{lat[k]:>8.2f}" for k in ("p50", "p90", "p99", "p99.9", "max"))
        )
    lines.append(f"errors      {e['mishandled']} mishandled" + ("" if e["by_kind"] else ", none at all"))
    for kind in e["by_kind"]:
        mark = "MISHANDLED" if kind["mishandled"] else "expected  "
        lines.append(f"            {mark} {kind['count']:>7}  {kind['kind']}: {kind['example']}")
    lines.append(
        f"reconcile   {rec['players_reconciled']} of {report['players']} players reconcile to the cent"
    )
    for p in rec["discrepancies"][:SHOWN]:
        lines.append(
            f"  {p['player_id']}: the wallet answers {_money(p['answered_balance'])}, the ledger implies "
            f"{_money(p['expected_balance'])}{_range(p['expected_range'])} (start {_money(p['start_balance'])})"
        )
        first = p["first_discrepancy"]
        if first is not None:
            lines.append(
                f"    first parting: {first['action']} {first['transaction_id'] or '(final balance)'} of round "
                f"{first['round_id'] or '-'}: answered {_money(first['answered_balance'])}, expected "
                f"{_money(first['expected_balance'])}{_range(first['expected_range'])}, off by {first['off_by']}"
            )
    if len(rec["discrepancies"]) > SHOWN:
        lines.append(f"  … and {len(rec['discrepancies']) - SHOWN} more players (all of them in --json)")
    lines.append("")
    if report["passed"]:
        lines.append(f"RECONCILED: {r['played']} rounds, every balance to the cent, no call mishandled")
    else:
        why = []
        if not rec["reconciled"]:
            why.append(f"{len(rec['discrepancies'])} player(s) do not reconcile")
        if e["mishandled"]:
            why.append(f"{e['mishandled']} call(s) mishandled")
        lines.append("NOT RECONCILED: " + "; ".join(why))
    lines.append(
        f"seed {report['seed']} (plan {report['plan_digest']}): --seed {report['seed']} plays it again"
    )
    return "\n".join(lines)


def _money(value: Decimal | None) -> str:
    return "nothing" if value is None else str(value)


def _range(span: list | None) -> str:
    return "" if span is None else f" (between {span[0]} and {span[1]} with calls whose outcome is unknown)"


def junit(report: dict[str, Any]) -> str:
    """One testcase per player's reconciliation and one for the calls' handling."""
    rec, errors = report["reconciliation"], report["errors"]
    cases = len(rec["players"]) + 1
    failures = len(rec["discrepancies"]) + bool(errors["mishandled"])
    suite = ET.Element(
        "testsuite",
        {
            "name": "netspace-stress",
            "tests": str(cases),
            "failures": str(failures),
            "errors": "0",
            "skipped": "0",
            "time": f"{report['duration_s']:.3f}",
            "timestamp": report["finished_at"],
        },
    )
    handled = ET.SubElement(suite, "testcase", {"classname": "netspace.stress", "name": "calls handled"})
    if errors["mishandled"]:
        failure = ET.SubElement(
            handled,
            "failure",
            {"message": f"{errors['mishandled']} call(s) mishandled", "type": "Mishandled"},
        )
        failure.text = "\n".join(
            f"{k['count']} {k['kind']}: {k['example']}" for k in errors["by_kind"] if k["mishandled"]
        )
    for p in rec["players"]:
        case = ET.SubElement(
            suite, "testcase", {"classname": "netspace.stress.reconciliation", "name": p["player_id"]}
        )
        if not p["reconciled"]:
            first = p["first_discrepancy"] or {}
            message = f"the wallet answers {_money(p['answered_balance'])}, the ledger implies {p['expected_balance']}"
            failure = ET.SubElement(case, "failure", {"message": message, "type": "Discrepancy"})
            failure.text = (
                f"first parting: {first.get('action')} {first.get('transaction_id')} of round "
                f"{first.get('round_id')}: answered {first.get('answered_balance')}, expected "
                f"{first.get('expected_balance')}"
            )
    out = ET.SubElement(suite, "system-out")
    out.text = (
        f"{report['rounds']['played']} rounds, {report['rounds']['per_second']} rounds/s, "
        f"{report['calls']['per_second']} calls/s; seed {report['seed']}"
    )
    suites = ET.Element("testsuites", {"name": "netspace-mock stress"})
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
