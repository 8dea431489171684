"""The one frozen Settings dataclass; CLI flags and NETSPACE_MOCK_* environment variables map onto it."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "NETSPACE_MOCK_"
# Loopback and the private ranges a CI network or a container network uses.
DEFAULT_WEBHOOK_HOSTS = "127.0.0.0/8,::1,localhost,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


def _opt(default: Any, help: str, *, choices: tuple[str, ...] | None = None, group: str = "server") -> Any:
    return field(default=default, metadata={"help": help, "choices": choices, "group": group})


@dataclass(frozen=True)
class Settings:
    host: str = _opt("127.0.0.1", "address to listen on")
    port: int = _opt(8080, "port to listen on (`0` picks a free one)")
    db: str = _opt("./netspace-mock.db", "SQLite database file (`:memory:` for a throw-away one)")
    api_key: str = _opt("sandbox-api-key", "API key of the default operator", group="operator")
    secret_key: str = _opt("sandbox-secret-key", "secret key of the default operator", group="operator")
    webhook_url: str | None = _opt(
        None,
        "the default operator's webhook; unset: the built-in reference wallet at `/operator/webhook`",
        group="operator",
    )
    webhook_allowed_hosts: str = _opt(
        DEFAULT_WEBHOOK_HOSTS,
        "hosts a webhook may point at: comma-separated CIDRs, addresses and host names (a name is also "
        "allowed when it resolves to an allowed address), or `*` for any; link-local and cloud-metadata "
        "addresses are refused unless listed as that very address",
        group="webhooks",
    )
    operators: str | None = _opt(
        None,
        "JSON file listing more operators: [{name, api_key, secret_key, webhook_url?}]",
        group="operator",
    )
    public_url: str | None = _opt(
        None, "base URL of `game_url` and `thumbnail_url` links; unset: `http://HOST:PORT`"
    )
    seed: int | None = _opt(None, "seed for ids and randomness, so a run repeats exactly")
    log_format: str = _opt("text", "log line format", choices=("text", "json"))
    event_loop: str = _opt(
        "auto",
        "event loop of `serve`; `auto`: uvloop (asyncio's loop, in C) when it is installed, "
        "else the standard library's",
        choices=("auto", "uvloop", "asyncio"),
    )
    timestamp_tolerance: int = _opt(300, "accepted |now − X-Timestamp|, in seconds", group="signing")
    signature_path: str = _opt(
        "either",
        "what PATH is signed when a request has a query string",
        choices=("either", "path", "path_qs"),
        group="signing",
    )
    empty_body_signature: str = _opt(
        "any",
        "what BODY a request without a body may be signed with: `empty`, the empty string only; "
        "`braces` or `undefined`, the empty string or that one stand-in (`{}`, `undefined`); `any`, the "
        'empty string or any of `{}`, `undefined`, `null`, `""` (what the guide\'s `JSON.stringify(body)` '
        "gives); a stand-in is accepted with an integration warning",
        choices=("empty", "braces", "undefined", "any"),
        group="signing",
    )
    canonical_body: bool = _opt(
        False,
        "refuse (`400`) a body that is not what `JSON.stringify` gives for its own parse (`50.0`, spaces "
        "after `:`); off: accept it with an integration warning",
        group="signing",
    )
    unknown_query_parameters: str = _opt(
        "warn",
        "a query parameter a route does not know (`limit`, `offset`): `warn`, ignored with an integration "
        "warning; `refuse`, `400`",
        choices=("warn", "refuse"),
        group="signing",
    )
    strict: bool = _opt(
        False,
        "every lenient setting at its strictest, for a CI run that wants to be sure: "
        "`empty_body_signature` `empty`, `signature_path` `path`, `canonical_body` on, "
        "`freebet_requires_player` on, `unknown_query_parameters` `refuse`",
        group="signing",
    )
    max_body_bytes: int = _opt(1_048_576, "largest accepted request body, in bytes (larger: `413`)")
    idle_timeout: float = _opt(
        60.0,
        "seconds a connection may stay idle, or take to send a request's line and headers, before it is "
        "closed",
    )
    body_timeout: float = _opt(
        30.0, "seconds a request's body may take to arrive (later: `408`, and the connection is closed)"
    )
    session_ttl: int = _opt(86_400, "seconds a game session lives after it is created", group="platform")
    demo_balance: float = _opt(1000.0, "virtual balance of a demo session", group="platform")
    webhook_timeout: float = _opt(
        5.0, "seconds to wait for the operator's webhook to answer", group="webhooks"
    )
    webhook_retries: int = _opt(
        5, "attempts in all for `win`, `refund` and `rollback` before a delivery is failed", group="webhooks"
    )
    webhook_backoff: float = _opt(
        1.0, "seconds before the first retry; doubles on every further retry (1, 2, 4, 8)", group="webhooks"
    )
    close_lost_rounds: bool = _opt(True, "send a `win` of 0 to close a losing round", group="webhooks")
    attempt_retention: int = _opt(
        100_000, "webhook attempts kept per operator; older ones are pruned", group="webhooks"
    )
    webhook_concurrency: int = _opt(
        16,
        "webhook calls one operator may have in flight at once; more wait for a free slot, so that one "
        "operator's slow wallet cannot starve the others",
        group="webhooks",
    )
    attempt_answer_bytes: int = _opt(
        16_384,
        "bytes of a webhook answer stored with its attempt; longer answers are cut (the outcome is "
        "judged on the whole answer)",
        group="webhooks",
    )
    answer_storage_bytes: int = _opt(
        67_108_864,
        "bytes of webhook answers stored per operator; past it, the oldest attempts' answers are trimmed "
        "(their outcome, status and reason stay)",
        group="webhooks",
    )
    journal_retention: int = _opt(
        10_000,
        "requests kept per operator in the request journal (`GET /api/sandbox/requests`); older ones "
        "are pruned",
        group="journal",
    )
    journal_body_bytes: int = _opt(
        4_096, "bytes of a request body kept in the journal; longer bodies are cut", group="journal"
    )
    journal_storage_bytes: int = _opt(
        16_777_216,
        "bytes of request bodies kept in the journal per operator; past it, the oldest requests' bodies "
        "are dropped (their method, path, verdict, status and ids stay)",
        group="journal",
    )
    freebet_requires_player: bool = _opt(
        False,
        "assigning a free bet needs a player the platform has launched (else PLAYER_NOT_FOUND); off: a "
        "free bet for a player not seen yet waits for their first session",
        group="platform",
    )
    sweep_interval: float = _opt(
        5.0, "seconds between background sweeps that expire free bets", group="platform"
    )
    open_registration: str = _opt(
        "auto",
        "whether anyone who reaches `/portal/register` may create an operator; `auto`: `on` when the mock "
        "listens on a loopback address (`127.0.0.0/8`, `::1`, `localhost`), `off` when it listens beyond "
        "this machine (`0.0.0.0`, `::`, a LAN address, as in the container image)",
        choices=("auto", "on", "off"),
        group="portal",
    )
    registration_limit: int = _opt(
        5,
        "operators one client address may register through the portal in an hour (more: `429` with "
        "`Retry-After`); counted in the database, so a restart does not reset it",
        group="portal",
    )
    wallet_initial_balance: float = _opt(
        1000.0, "balance of a new player in the built-in reference wallet", group="wallet"
    )
    wallet_test_players: str = _opt(
        "cert-player:USD",
        "test players the built-in reference wallet has from the start (as an operator creates one to "
        "certify), for `netspace-mock certify` against it: `PLAYER:CURRENCY`, comma-separated",
        group="wallet",
    )

    def __post_init__(self) -> None:
        test_players(self.wallet_test_players)  # refused here, with its reason, before anything starts
        if self.strict:
            for name, value in STRICT.items():
                object.__setattr__(self, name, value)  # frozen: set once, while being built

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def registration_open(self) -> bool:
        """`open_registration` resolved: `auto` opens registration only to a server on loopback."""
        if self.open_registration == "auto":
            return listens_on_loopback(self.host)
        return self.open_registration == "on"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# What `strict` sets: every setting that lets a request through which the real platform might refuse.
STRICT: dict[str, Any] = {
    "empty_body_signature": "empty",
    "signature_path": "path",
    "canonical_body": True,
    "freebet_requires_player": True,
    "unknown_query_parameters": "refuse",
}


def listens_on_loopback(host: str) -> bool:
    """True when a server bound to `host` can be reached from this machine only. An empty host, a
    wildcard (`0.0.0.0`, `::`), any other address or a host name other than `localhost` is not."""
    name = host.strip().removeprefix("[").removesuffix("]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def test_players(text: str) -> frozenset[tuple[str, str]]:
    """The (player_id, currency) pairs of a `wallet_test_players` value; ValueError names a bad one."""
    pairs = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        player, sep, currency = item.rpartition(":")
        if not sep or not player.strip() or not currency.strip():
            raise ValueError(
                f"wallet_test_players: expected PLAYER:CURRENCY[,PLAYER:CURRENCY...], got {item!r}"
            )
        pairs.add((player.strip(), currency.strip().upper()))
    return frozenset(pairs)


def fields() -> list[dataclasses.Field]:
    return list(dataclasses.fields(Settings))


def flag_name(f: dataclasses.Field) -> str:
    return "--" + f.name.replace("_", "-")


def env_name(f: dataclasses.Field) -> str:
    return ENV_PREFIX + f.name.upper()


def value_type(f: dataclasses.Field) -> type:
    """The Python type a flag's text converts to, read from the annotation."""
    annotation = str(f.type)
    for name, typ in (("bool", bool), ("int", int), ("float", float)):
        if annotation.startswith(name):
            return typ
    return str


def convert(f: dataclasses.Field, text: str) -> Any:
    typ = value_type(f)
    if typ is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{f.name}: expected true or false, got {text!r}")
    try:
        value = typ(text)
    except ValueError:
        raise ValueError(f"{f.name}: expected {typ.__name__}, got {text!r}") from None
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        raise ValueError(f"{f.name}: expected one of {', '.join(choices)}, got {text!r}")
    return value


AT_LEAST_ONE = (
    "webhook_concurrency",
    "attempt_answer_bytes",
    "answer_storage_bytes",
    "registration_limit",
    "journal_retention",
    "journal_body_bytes",
    "journal_storage_bytes",
)


def from_sources(flags: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Flags win over NETSPACE_MOCK_* environment variables, which win over defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields():
        if flags.get(f.name) is not None:
            values[f.name] = flags[f.name]
        elif env_name(f) in environ and environ[env_name(f)] != "":
            values[f.name] = convert(f, environ[env_name(f)])
    for name in AT_LEAST_ONE:
        if name in values and values[name] < 1:
            raise ValueError(f"{name}: expected a whole number of 1 or more, got {values[name]}")
    if values.get("strict"):
        for name, value in STRICT.items():
            if name in values and values[name] != value:
                raise ValueError(
                    f"strict sets {name} to {_shown(value).strip('`')}, but it is also given as "
                    f"{_shown(values[name]).strip('`')}: drop one of the two"
                )
    return Settings(**values)


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def reference_table() -> str:
    """The configuration reference, generated from this dataclass so it cannot drift (`make docs`)."""
    rows = ["| flag | environment variable | default | meaning |", "| --- | --- | --- | --- |"]
    for f in fields():
        meaning = f.metadata["help"].replace("|", "\\|")
        if f.metadata.get("choices"):
            meaning += ": " + ", ".join(f"`{c}`" for c in f.metadata["choices"])
        rows.append(f"| `{flag_name(f)}` | `{env_name(f)}` | {_shown(f.default)} | {meaning} |")
    return "\n".join(rows)
