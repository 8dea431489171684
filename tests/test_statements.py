"""How many SQL statements the busiest paths make, counted with SQLite's own trace, and how many
hand-overs to a connection's thread they take (each awaited call of aiosqlite's Connection is one: the
call queued to the thread, the loop woken with its result): a sandbox round with both its webhooks to
the reference wallet (on the same database), a fresh launch and a relaunch. Counts, not times."""

from __future__ import annotations

from support import hops, launch_body, statements

BET = {"session_id": "sess-1", "amount": 1, "outcome": "win", "win_amount": 3}


# The dispatcher's poll for due retries (webhooks/dispatcher.py), once a second when idle: not the round's.
DISPATCHER_POLL = "FROM deliveries d LEFT JOIN sandbox_clocks c"


# The request journal's batch (domain/journal.py), written off the request's path: not the round's.
JOURNAL = "request_journal"


def without_journal(seen: list[str], sql=lambda entry: entry) -> list[str]:
    """The statements, less each BEGIN … COMMIT of the journal's batches; with `sql`, the same for
    entries that each carry one statement (the hand-overs of support.hops)."""
    kept: list[str] = []
    block: list[str] | None = None
    for entry in seen:
        statement = sql(entry)
        if statement == "BEGIN IMMEDIATE" and block is None:
            block = [entry]
        elif block is not None:
            block.append(entry)
            if statement == "COMMIT":
                if not any(JOURNAL in e for e in block):
                    kept += block
                block = None
        else:
            kept.append(entry)
    return kept + (block or [])


def transactions(seen: list[str]) -> list[list[str]]:
    """The statements between each BEGIN IMMEDIATE and its COMMIT, and each statement outside one; the
    journal's batches left out."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for statement in without_journal(seen):
        if DISPATCHER_POLL in statement:
            continue
        if statement == "BEGIN IMMEDIATE":
            current = []
        elif statement == "COMMIT":
            found.append(current or [])
            current = None
        elif current is not None:
            current.append(statement)
        else:
            found.append([statement])
    return found


def is_wallet(transaction: list[str]) -> bool:
    return any("wallet_" in s for s in transaction)


async def test_a_round_makes_few_statements(client, platform):
    await client.ok("POST", "/api/game/launch", launch_body())
    await client.ok("POST", "/api/sandbox/game/bet", BET)  # the wallet's account exists from here on
    async with statements(platform.db) as seen:
        rnd = (await client.ok("POST", "/api/sandbox/game/bet", BET))["round"]
        await platform.journal.flush()  # a journal batch begun in the window ends in it
    assert rnd["status"] == "settled" and rnd["balance"] == 1004
    platform_side = [t for t in transactions(seen) if not is_wallet(t)]
    wallet_side = [t for t in transactions(seen) if is_wallet(t)]
    # The platform: the round with its bet in the outbox; the bet's answer with the win it leads to; the
    # win's answer with the round's end (the session comes from the platform's cache). 35 statements a
    # round before (21 of them the platform's, in 5 transactions and a read), then 28 (16, with the
    # session read).
    assert [len(t) for t in platform_side] == [2, 4, 3]
    # The reference wallet, per call: its account and whether the call was booked already, the
    # booking's own check, the booking and the new balance.
    assert [len(t) for t in wallet_side] == [4, 4]
    # BEGIN IMMEDIATE and COMMIT included
    assert len([s for s in without_journal(seen) if DISPATCHER_POLL not in s]) == 27


async def test_a_relaunch_that_changes_nothing_makes_one_statement(client, platform):
    await client.ok("POST", "/api/game/launch", launch_body())
    async with statements(platform.db) as seen:
        await client.ok("POST", "/api/game/launch", launch_body())
        await platform.journal.flush()
    # The player's last visit; the session is in the platform's cache.
    assert [s.split()[0] for s in without_journal(seen) if DISPATCHER_POLL not in s] == ["INSERT"]


def hop_sql(hop: str) -> str:
    """The SQL of a hand-over as support.hops writes it ("execute BEGIN IMMEDIATE")."""
    return hop.partition(" ")[2]


async def test_launches_and_a_round_hand_over_few_calls(client, platform):
    async with hops(platform.db) as fresh:
        await client.ok("POST", "/api/game/launch", launch_body())
    async with hops(platform.db) as relaunch:
        await client.ok("POST", "/api/game/launch", launch_body())
    await client.ok("POST", "/api/sandbox/game/bet", BET)  # the wallet's account exists from here on
    async with hops(platform.db) as one_round:
        await client.ok("POST", "/api/sandbox/game/bet", BET)
        await platform.journal.flush()  # a journal batch begun in the window ends in it
    # A fresh launch: the session looked for, then the session with its player and the player's currency.
    assert len(fresh) == 6
    assert len(relaunch) == 1  # the player's last visit
    # The platform's three transactions and the wallet's two, as counted in statements above.
    assert len(without_journal(one_round, sql=hop_sql)) == 27
