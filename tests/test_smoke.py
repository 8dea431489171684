from support import launch_body


async def test_health_and_launch(client):
    async with client.client.get("/health") as resp:
        assert resp.status == 200
        assert (await resp.json())["status"] == "ok"
    answer = await client.ok("POST", "/api/game/launch", launch_body())
    assert answer["session_id"] == "sess-1"
    assert answer["game_url"].startswith(f"http://127.0.0.1:{client.client.port}/play/")
