"""The authentication test's steps: a correctly signed call, then each way a signature check is commonly
got wrong, sent as a call the wallet must refuse, each with the risk it opens in words.

A forgery is a balance call (it moves no money even when a wallet wrongly accepts it) whose headers are
broken in one way. Two of them are what a wallet that signs the wrong string accepts; when the correctly
signed call is refused, they say which string the wallet signs instead.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from yarl import URL

from netspace_mock import jsonio, signing
from netspace_mock.certification.probe import Probe
from netspace_mock.certification.steps import Failed, said
from netspace_mock.webhooks.client import Answer, signed_headers

REFUSED = "refused: HTTP 401/403 or success: false"
TOLERANCE = 300  # PROTOCOL §1: |now - X-Timestamp| <= 300 s
# What a forgery's headers are made of: the raw body, the platform's time, the target's credentials.
Build = Callable[[bytes, int, "Forge"], dict[str, str]]


@dataclass(frozen=True)
class Forge:
    """Signs like the platform, or in one of the wrong ways."""

    api_key: str
    secret: str
    url: str

    @property
    def path(self) -> str:
        return URL(self.url, encoded=True).raw_path_qs

    def headers(self, raw: bytes, ts: int | str, *, secret: str | None = None) -> dict[str, str]:
        return signed_headers(self.api_key, secret or self.secret, self.url, raw, int(ts))

    def over(self, raw: bytes, ts: str, message: bytes) -> dict[str, str]:
        """The platform's headers with X-Timestamp `ts` and a signature over `message` instead."""
        h = signed_headers(self.api_key, self.secret, self.url, raw, 0)
        mac = hmac.new(self.secret.encode(), message, "sha256").hexdigest()
        return {**h, signing.HEADER_TIMESTAMP: ts, signing.HEADER_SIGNATURE: mac}


@dataclass(frozen=True)
class Forgery:
    name: str
    build: Build
    accepted: str  # the verdict when the wallet accepts it: what it accepted, and the risk


def _swap(h: dict[str, str], name: str, value: str | None) -> dict[str, str]:
    out = {k: v for k, v in h.items() if k != name}
    if value is not None:
        out[name] = value
    return out


def _flipped(sig: str) -> str:
    return sig[:-4] + ("0000" if not sig.endswith("0000") else "1111")


def _other_body(raw: bytes) -> bytes:
    body = jsonio.loads(raw)
    return jsonio.dumps({**body, "session_id": body["session_id"] + "-other"})


REPLAY = "so a captured request can be replayed at any time"
SIGN = "the string to sign is TIMESTAMP + METHOD + PATH + BODY"
FORGERIES = [
    Forgery(
        "bad signature",
        lambda raw, now, f: _swap(
            f.headers(raw, now), "X-Signature", _flipped(f.headers(raw, now)["X-Signature"])
        ),
        "accepted a request whose X-Signature was wrong (its last 4 hex digits changed): the wallet does not "
        "compare the signature, so anyone who can reach it can move a player's money",
    ),
    Forgery(
        "empty signature",
        lambda raw, now, f: _swap(f.headers(raw, now), "X-Signature", ""),
        "accepted a request with an empty X-Signature: an unsigned request moves money; refuse unless "
        "all 64 hex digits match",
    ),
    Forgery(
        "truncated signature",
        lambda raw, now, f: _swap(
            f.headers(raw, now), "X-Signature", f.headers(raw, now)["X-Signature"][:32]
        ),
        "accepted the first 32 of the signature's 64 hex digits: the wallet compares only as many "
        "characters as it was sent, so a forger has a few characters to guess; compare the whole digest, "
        "in constant time",
    ),
    Forgery(
        "signature over another body",
        lambda raw, now, f: f.headers(_other_body(raw), now),
        "accepted a request whose body was changed after it was signed (the same headers, another "
        "session_id): whoever can alter a request on its way can change its player or amount; verify the "
        "signature over the raw body exactly as received",
    ),
    Forgery(
        "signed with another secret",
        lambda raw, now, f: f.headers(raw, now, secret=f.secret + "-other"),
        "accepted a signature made with another secret: the wallet does not check it against your secret "
        "key, so anyone can sign requests",
    ),
    Forgery(
        "timestamp 10 minutes old",
        lambda raw, now, f: f.headers(raw, now - 600),
        "accepted a request whose X-Timestamp was 10 minutes in the past: a captured request could be "
        f"replayed; refuse an X-Timestamp more than {TOLERANCE} s from your clock",
    ),
    Forgery(
        "timestamp 10 minutes in the future",
        lambda raw, now, f: f.headers(raw, now + 600),
        "accepted a request whose X-Timestamp was 10 minutes in the future: a captured request could be "
        f"replayed later; refuse when the difference from your clock, either way, exceeds {TOLERANCE} s",
    ),
    Forgery(
        "signature without X-Timestamp",
        lambda raw, now, f: f.over(raw, str(now), b"POST" + f.path.encode() + raw),
        "accepted a signature over METHOD + PATH + BODY, without X-Timestamp: the timestamp is not part "
        f"of what the wallet checks, {REPLAY} with a fresh X-Timestamp; {SIGN}",
    ),
    Forgery(
        "signature over the body alone",
        lambda raw, now, f: f.over(raw, str(now), raw),
        f"accepted a signature over the body alone: neither the timestamp nor the path is checked, {REPLAY}; "
        f"{SIGN}",
    ),
    Forgery(
        "X-Timestamp not a number",
        lambda raw, now, f: f.over(raw, "NaN", b"NaN" + b"POST" + f.path.encode() + raw),
        "accepted a request whose X-Timestamp was 'NaN' (signed over it): read as a floating-point number, "
        "NaN passes every comparison with the window, so the wallet checks no time at all for it; accept "
        "decimal digits only",
    ),
    Forgery(
        "wrong API key",
        lambda raw, now, f: _swap(f.headers(raw, now), "X-API-Key", f.api_key + "-wrong"),
        "accepted a request whose X-API-Key was not yours (signed with your secret): the wallet ignores "
        "the API key; refuse any key but yours",
    ),
    Forgery(
        "missing X-Signature",
        lambda raw, now, f: _swap(f.headers(raw, now), "X-Signature", None),
        "accepted a request without X-Signature: an unsigned request moves money",
    ),
    Forgery(
        "missing X-Timestamp",
        lambda raw, now, f: _swap(f.headers(raw, now), "X-Timestamp", None),
        f"accepted a request without X-Timestamp: no replay is ever too old; {SIGN}",
    ),
    Forgery(
        "missing X-API-Key",
        lambda raw, now, f: _swap(f.headers(raw, now), "X-API-Key", None),
        "accepted a request without X-API-Key: the wallet ignores the API key",
    ),
]


def refused(answer: Answer) -> bool:
    return answer.http_status in (401, 403) or (answer.payload or {}).get("success") is False


async def check(p: Probe) -> None:
    """The authentication test: see FORGERIES. Ends with Failed naming every request the wallet got wrong."""
    step, answer = await p.send("correctly signed balance", p.payload("balance"), "success")
    step.passed = answer.ok
    step.message = "accepted" if answer.ok else f"a correctly signed call was refused: {said(answer)}"
    if not answer.ok and not refused(answer):
        raise Failed(step.message)  # a wallet that cannot answer at all: the forgeries would say nothing more
    t = p.target
    forge, body = Forge(t.api_key, t.secret, t.url), p.payload("balance")
    raw = jsonio.dumps(body)
    wrong = []
    for forgery in FORGERIES:
        f_step, f_answer = await p.send(
            forgery.name, body, REFUSED, headers=forgery.build(raw, int(p.clock.now()), forge), raw=raw
        )
        if refused(f_answer):
            f_step.passed, f_step.message = True, "refused"
            continue
        f_step.message = (
            forgery.accepted
            if f_answer.ok
            else f"answered {said(f_answer)} instead of refusing the request ({forgery.name}): refuse "
            "it with HTTP 401 or success: false, so the platform sees a refusal, not a broken wallet"
        )
        wrong.append(f_step.message)
    if not answer.ok:
        raise Failed("; ".join([step.message, *wrong]))
    if len(wrong) == 1:
        raise Failed(wrong[0])
    if wrong:
        raise Failed(f"the wallet got {len(wrong)} requests wrong: " + "; ".join(wrong))
