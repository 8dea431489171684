"""The Integration page's warnings section: what the mock accepted from this operator only because a
setting is lenient, one row per kind with its count, first and last seen and the latest example."""

from __future__ import annotations

from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import Html, join, tag
from netspace_mock.web.portal.visit import Visit

# What each kind means and the setting that accepted it (docs/protocol.md §1, "Integration warnings").
KINDS = {
    "empty_body_form": (
        'An empty body signed as a stand-in ({}, undefined, null or "")',
        "empty_body_signature",
    ),
    "query_in_signature": ("The query string included in the signed PATH", "signature_path"),
    "non_canonical_body": ("A body that is not what JSON.stringify gives for it", "canonical_body"),
    "unknown_query_parameter": ("A query parameter the route does not know", "unknown_query_parameters"),
}


async def section(visit: Visit) -> Html:
    platform, operator = visit.platform, visit.operator
    seen = await platform.integration_warnings.of_operator(platform.db, operator.id)
    rows = []
    for s in seen:
        what, setting = KINDS.get(s.kind, (s.kind, "—"))
        example = join([tag("code", f"{s.method} {s.path}"), tag("br"), s.line])
        rows.append(
            (
                join([what, tag("br"), tag("code", s.kind)]),
                tag("code", setting),
                s.count,
                render.when(s.first_seen),
                render.when(s.last_seen),
                example,
            )
        )
    table = render.table(
        ("Warning", "Accepted because of", "Count", "First seen", "Last seen", "Latest example"),
        rows,
        "No warnings: every request so far was accepted in the strict form.",
        numeric=(2,),
    )
    intro = tag(
        "p",
        join(
            [
                "Requests the mock accepted only because a setting is lenient; the real platform may "
                "refuse them. Each answer carried an ",
                tag("code", "X-Netspace-Mock-Warning"),
                " header saying why. Start the mock with ",
                tag("code", "--strict"),
                " to have them refused instead. A sandbox reset keeps this list.",
            ]
        ),
        class_="muted",
    )
    head = tag(
        "div",
        tag("h2", "Integration warnings") + render.badge(str(len(seen)), "info" if seen else "passed"),
        class_="card-head",
    )
    return tag("section", head + intro + table, class_="card", id="integration-warnings")
