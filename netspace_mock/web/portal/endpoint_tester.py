"""The Integration page's endpoint tester: its section. The page's own script (static/portal/endpoint-tester.js)
reads the routes from /openapi.json, signs in the browser with the credentials the page already shows and
sends; the server adds nothing but this markup."""

from __future__ import annotations

from netspace_mock.web.portal import render
from netspace_mock.web.portal.render import Html


def section() -> Html:
    return render.fill("endpoint_tester")
