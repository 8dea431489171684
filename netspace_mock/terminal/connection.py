"""What every terminal verb shares: where the running mock is, the credentials it is called with, the
signed client, and how an answer becomes an exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import aiohttp

from netspace_mock.client import AsyncNetspaceSDK, NetspaceError
from netspace_mock.settings import Settings

OK, API_ERROR, USAGE = 0, 1, 2  # 1: the mock answered an error; 2: a usage error or no mock to talk to
TIMEOUT = 60.0  # seconds for one answer: a round waits on the webhook, with its retries
URL_ENV = "NETSPACE_API_URL"  # the name the examples and the docker-compose file use
HELPS = {
    "api_key": "API key to send: the running mock's",
    "secret_key": "secret key to sign with: the running mock's",
}

Verb = Callable[[argparse.Namespace, AsyncNetspaceSDK, TextIO], Awaitable[int]]
AddSettings = Callable[..., None]


class UsageError(Exception):
    """A verb's arguments that argparse could not judge (exit code 2)."""


class Missing(Exception):
    """What a verb looked up through the API is not there (exit code 1, as the API's NOT_FOUND)."""


def add_connection(parser: argparse.ArgumentParser, add_settings: AddSettings) -> None:
    """--url, and --api-key/--secret-key as `serve` and `sign` take them (flag, NETSPACE_MOCK_* variable,
    default: the sandbox operator's)."""
    parser.add_argument(
        "--url",
        default=None,
        help=f"base URL of the running mock (env {URL_ENV}; default: the http://HOST:PORT or public URL "
        "that NETSPACE_MOCK_HOST, NETSPACE_MOCK_PORT and NETSPACE_MOCK_PUBLIC_URL give `serve`, "
        f"http://127.0.0.1:{Settings().port} without them)",
    )
    add_settings(parser, only=tuple(HELPS), helps=HELPS)


def base_url(args: argparse.Namespace, settings: Settings) -> str:
    return (args.url or os.environ.get(URL_ENV) or settings.base_url).rstrip("/")


async def run(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Run the verb `args.verb` with a signed client of the running mock; its exit code."""
    url = base_url(args, settings)
    name = f"netspace-mock {args.verb_name}"
    async with AsyncNetspaceSDK(settings.api_key, settings.secret_key, url, timeout=TIMEOUT) as client:
        try:
            return await args.verb(args, client, out)
        except NetspaceError as exc:
            report(name, exc)
            return API_ERROR
        except Missing as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return API_ERROR
        except UsageError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return USAGE
        except (aiohttp.ClientError, TimeoutError) as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            print(f"{name}: cannot reach the mock at {url}: {detail}", file=sys.stderr)
            return USAGE


def report(name: str, exc: NetspaceError) -> None:
    print(f"{name}: {exc.code} (HTTP {exc.status}): {exc.message}", file=sys.stderr)


def clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
