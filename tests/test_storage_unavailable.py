"""A database that cannot be written (a full disk) is 503 STORAGE_UNAVAILABLE, keeps nothing half-written,
and the mock answers again once SQLite can write: made real with PRAGMA max_page_count on the test's file."""

from __future__ import annotations

from support import count_rows, launch_body

FULL_MESSAGE = "the mock's database cannot be written"


async def _cap_pages(platform, extra: int) -> None:
    async with platform.db.transaction() as conn:
        (pages,) = await (await conn.execute("PRAGMA page_count")).fetchone()
        await conn.execute(f"PRAGMA max_page_count = {pages + extra}")


async def _uncap(platform) -> None:
    async with platform.db.transaction() as conn:
        await conn.execute("PRAGMA max_page_count = 1073741823")


async def test_a_full_disk_is_503_storage_unavailable_and_the_mock_recovers(client, platform):
    status, _ = await client.post("/api/game/launch", launch_body(session_id="before"))
    assert status == 200
    await _cap_pages(platform, 0)
    answers = []
    for n in range(200):  # the pages left fill after a few launches: each writes a session
        status, answer = await client.post(
            "/api/game/launch",
            launch_body(
                session_id=f"full-{n}", player_id=f"p-{n}", return_url="https://x.test/" + "r" * 1900
            ),
        )
        answers.append(n)
        if status != 200:
            break
    assert status == 503, "the database never filled"
    assert answer["success"] is False
    assert answer["error"]["code"] == "STORAGE_UNAVAILABLE"
    assert FULL_MESSAGE in answer["error"]["message"] and "full" in answer["error"]["message"]
    assert answer["error"]["details"] == {"retry": True}
    # Nothing of the refused launch was kept, and what is unwritable does not stop the rest.
    assert await count_rows(platform.db, "sessions", "session_id = ?", (f"full-{answers[-1]}",)) == 0
    health = await client.client.get("/health")
    assert health.status == 200
    status, _ = await client.get("/api/games/catalog")
    assert status == 200
    await _uncap(platform)
    status, answer = await client.post(
        "/api/game/launch", launch_body(session_id=f"full-{answers[-1]}", player_id=f"p-{answers[-1]}")
    )
    assert status == 200 and answer["session_id"] == f"full-{answers[-1]}"


async def test_a_read_only_database_is_503_too(client, platform):
    async with platform.db.transaction() as conn:
        await conn.execute("PRAGMA query_only = ON")
    status, answer = await client.post("/api/game/launch", launch_body(session_id="ro"))
    assert status == 503 and answer["error"]["code"] == "STORAGE_UNAVAILABLE"
    await platform.db.execute("PRAGMA query_only = OFF")
    status, _ = await client.post("/api/game/launch", launch_body(session_id="ro"))
    assert status == 200
