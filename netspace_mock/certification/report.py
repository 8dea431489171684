"""Renderings of a run: console lines as tests finish, and JUnit XML for any CI system."""

from __future__ import annotations

import json
from typing import Any, TextIO
from xml.etree import ElementTree as ET

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "warning": "WARN"}
ADVISORY_MARKS = {"passed": "ok", "warning": "WARNING", "skipped": "skipped"}


def print_result(result: dict[str, Any], out: TextIO) -> None:
    kind = "required" if result["required"] else "optional"
    if result["status"] == "warning" or result.get("advisory"):
        kind = "advisory"
    print(
        f"  {MARKS[result['status']]}  {result['test']:<22} {kind:<9} {result['duration_ms']:>7.1f} ms  "
        f"{'' if result['status'] == 'passed' else result['message']}",
        file=out,
    )
    if result["status"] == "failed":
        failing = next((s for s in result["steps"] if not s["passed"]), None)
        if failing is not None:
            print_step(failing, out)


def print_step(step: dict[str, Any], out: TextIO) -> None:
    request, response = step["request"], step["response"]
    print(f"        step:     {step['name']}", file=out)
    print(f"        request:  POST {request['url']}", file=out)
    for name in ("X-API-Key", "X-Timestamp", "X-Signature"):
        if name in request["headers"]:
            print(f"                  {name}: {request['headers'][name]}", file=out)
    print(f"                  {request['body']}", file=out)
    answer = response["body"] if isinstance(response["body"], str) else json.dumps(response["body"])
    print(
        f"        answer:   HTTP {response['status']} {answer if answer is not None else ''}".rstrip(),
        file=out,
    )
    if response.get("reason") and response.get("outcome") != "ok":
        print(f"                  ({response['outcome']}: {response['reason']})", file=out)
    print(f"        expected: {step['expected']}", file=out)
    print(f"        hint:     {step['message']}", file=out)


def print_summary(run: dict[str, Any], out: TextIO) -> None:
    required = [r for r in run["results"] if r["required"]]
    failed = [r["test"] for r in required if r["status"] == "failed"]
    not_run = [r["test"] for r in required if r["status"] == "skipped"]
    warnings = [r["test"] for r in run.get("advisories", []) if r["status"] == "warning"]
    print("", file=out)
    if failed:
        print(f"NOT CERTIFIED: required test(s) failed: {', '.join(failed)}", file=out)
    elif not_run:
        print(
            f"NOT CERTIFIED: every selected test passed, but required test(s) were not run: {', '.join(not_run)}",
            file=out,
        )
    else:
        print(f"CERTIFIED: all {len(required)} required tests passed", file=out)
    if warnings:
        print(f"advisory warnings (not blocking): {', '.join(warnings)}", file=out)
    if run.get("net_balance_change") is not None:
        print(
            f"net balance change of the test player caused by the run: {run['net_balance_change']}", file=out
        )


def junit(run: dict[str, Any]) -> str:
    """One testcase per test; advisory warnings as system-out of the suite."""
    cases = run["results"]
    suite = ET.Element(
        "testsuite",
        {
            "name": "netspace-certification",
            "tests": str(len(cases)),
            "failures": str(sum(1 for r in cases if r["status"] == "failed")),
            "skipped": str(sum(1 for r in cases if r["status"] == "skipped")),
            "errors": "0",
            "time": f"{sum(r['duration_ms'] for r in cases) / 1000:.3f}",
            "timestamp": run["started_at"],
        },
    )
    for result in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": "netspace.certification." + ("required" if result["required"] else "optional"),
                "name": result["test"],
                "time": f"{result['duration_ms'] / 1000:.3f}",
            },
        )
        if result["status"] == "failed":
            failure = ET.SubElement(
                case, "failure", {"message": result["message"], "type": "CertificationFailure"}
            )
            failure.text = "\n".join(
                f"{'ok ' if s['passed'] else 'BAD'} {s['name']}: {s['message']}" for s in result["steps"]
            )
        elif result["status"] == "skipped":
            ET.SubElement(case, "skipped", {"message": result["message"]})
    advisories = run.get("advisories", [])
    out = ET.SubElement(suite, "system-out")
    out.text = (
        "\n".join(f"{ADVISORY_MARKS[a['status']]} {a['test']}: {a['message']}" for a in advisories)
        or "no advisory checks were run"
    )
    suites = ET.Element("testsuites", {"name": "netspace-mock certify"})
    suites.append(suite)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
