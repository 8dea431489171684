"""The terminal verbs: `tail`, `play`, `rounds show`, `resend`, `reset`, `webhook`, `freebets`, `jackpot`.

Each talks to a running mock over its signed API (netspace_mock.client), as an operator's backend would;
nothing here reads the database or the platform's code."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from netspace_mock.settings import Settings
from netspace_mock.terminal import connection, controls, free_bets, play, rounds, tail
from netspace_mock.terminal.connection import AddSettings

MODULES = (tail, play, rounds, controls, free_bets)


def register(commands: Any, add_settings: AddSettings) -> None:
    """Add the verbs to the CLI's subcommands; `add_settings` adds settings flags as `serve` has them."""
    for module in MODULES:
        module.add(commands, add_settings)


def chosen(args: argparse.Namespace) -> bool:
    return getattr(args, "verb", None) is not None


def run(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(connection.run(args, settings))
