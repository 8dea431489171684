"""The stand-in SDKs of sdks/ (PHP, Python, Java): the guide's nine methods, each against a live mock.

One tour per language makes the same calls (the guide's free-bet requests as written, a non-ASCII reason
and an awkward search, so that signing over UTF-8 bodies and strictly encoded queries is proven) and prints
what it got as one JSON line; every language must print the same. The base URL comes from
NETSPACE_API_URL only.
"""

from __future__ import annotations

import json
import sys

import pytest

from support import recorded_warnings
from toolchains import (
    API_KEY,
    JAVA,
    JAVAC,
    PHP,
    SDKS,
    SECRET_KEY,
    needs_java,
    needs_php,
    only_the_base_url,
    run,
)


@pytest.fixture
async def mock(make_client):
    """A live mock on its own port that knows the quick starts' keys, strict: a request in a lenient form
    (a query signed with the path, a body that is not JSON.stringify's) is refused, not only warned."""
    return await make_client(api_key=API_KEY, secret_key=SECRET_KEY, strict=True)


REASON = "Player requested cancellation — Solicitação 取消"
SEARCH = "Lotterix d'or (100% * grátis!) 取 ~"
FUTURE = "2031-02-15T23:59:59Z"

PYTHON_TOUR = f"""
import json
from netspace import NetspaceError, NetspaceSDK

ns = NetspaceSDK(api_key='your-api-key', secret_key='your-secret-key')
out = {{}}
out['launch'] = ns.launch_game(session_id='tour-sess', player_id='player123', game_id='lotterix',
                               currency='BRL', client_ip='192.168.1.1')['game_url']
demo = ns.launch_demo(game_id='lotterix', currency='EUR')
out['demo'] = [demo['demo'], demo['balance']]
out['currencies'] = len(ns.get_currencies()['currencies'])
page = ns.get_games(search='Lotterix', per_page=5)
out['catalog'] = [page['pagination']['per_page'], [g['id'] for g in page['games']]]
out['odd_search'] = ns.get_games(search={SEARCH!r})['pagination']['total']
out['detail'] = ns.get_game_detail('lotterix')['game']['id']
fb = ns.assign_free_bet(operator_free_bet_id='promo_2025_001', player_id='player123',
                        free_bets={{'amount': 50.00, 'currency': 'BRL', 'expires_at': {FUTURE!r}}})['free_bet']
out['assigned'] = [fb['operator_free_bet_id'], fb['player_id'], fb['amount'], fb['currency'], fb['status']]
out['id'] = fb['netspace_free_bet_id']
out['status'] = ns.get_free_bet_status(out['id'])['free_bet']['status']
cancelled = ns.cancel_free_bet(out['id'], reason={REASON!r})['free_bet']
out['cancelled'] = [cancelled['status'], cancelled['cancel_reason']]
jackpot = ns.update_jackpot(2500, 'BRL')['jackpot']
out['jackpot'] = [jackpot['amount'], jackpot['currency']]
try:
    ns.get_game_detail('no-such-game')
except NetspaceError as error:
    out['error'] = [error.code, error.status]
print(json.dumps(out))
"""

PHP_TOUR = f"""<?php
require $argv[1];
use Netspace\\NetspaceSDK;
use Netspace\\NetspaceException;

$ns = new NetspaceSDK(['apiKey' => 'your-api-key', 'secretKey' => 'your-secret-key']);
$out = [];
$out['launch'] = $ns->launchGame(['sessionId' => 'tour-sess', 'playerId' => 'player123', 'gameId' => 'lotterix',
                                  'currency' => 'BRL', 'clientIp' => '192.168.1.1'])['game_url'];
$demo = $ns->launchDemo(['gameId' => 'lotterix', 'currency' => 'EUR']);
$out['demo'] = [$demo['demo'], $demo['balance']];
$out['currencies'] = count($ns->getCurrencies()['currencies']);
$page = $ns->getGames(['search' => 'Lotterix', 'perPage' => 5]);
$out['catalog'] = [$page['pagination']['per_page'], array_column($page['games'], 'id')];
$out['odd_search'] = $ns->getGames(['search' => {json.dumps(SEARCH, ensure_ascii=False)}])['pagination']['total'];
$out['detail'] = $ns->getGameDetail('lotterix')['game']['id'];
$fb = $ns->assignFreeBet([
    'operator_free_bet_id' => 'promo_2025_001',
    'player_id' => 'player123',
    'free_bets' => ['amount' => 50.00, 'currency' => 'BRL', 'expires_at' => '{FUTURE}'],
])['free_bet'];
$out['assigned'] = [$fb['operator_free_bet_id'], $fb['player_id'], $fb['amount'], $fb['currency'], $fb['status']];
$out['id'] = $fb['netspace_free_bet_id'];
$out['status'] = $ns->getFreeBetStatus(['netspace_free_bet_id' => $out['id']])['free_bet']['status'];
$cancelled = $ns->cancelFreeBet(['netspace_free_bet_id' => $out['id'], 'reason' => {json.dumps(REASON, ensure_ascii=False)}])['free_bet'];
$out['cancelled'] = [$cancelled['status'], $cancelled['cancel_reason']];
$jackpot = $ns->updateJackpot(['amount' => 2500, 'currency' => 'BRL'])['jackpot'];
$out['jackpot'] = [$jackpot['amount'], $jackpot['currency']];
try {{
    $ns->getGameDetail('no-such-game');
}} catch (NetspaceException $error) {{
    $out['error'] = [$error->errorCode, $error->status];
}}
echo json_encode($out, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\\n";
"""

JAVA_TOUR = f"""
import java.util.*;
import one.netspace.sdk.*;

public class Tour {{
    static String json(Object value) {{
        if (value instanceof String) return '"' + ((String) value).replace("\\\\", "\\\\\\\\").replace("\\"", "\\\\\\"") + '"';
        if (value instanceof List) {{
            StringJoiner items = new StringJoiner(",", "[", "]");
            for (Object item : (List<?>) value) items.add(json(item));
            return items.toString();
        }}
        if (value instanceof Map) {{
            StringJoiner items = new StringJoiner(",", "{{", "}}");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) items.add(json(e.getKey()) + ":" + json(e.getValue()));
            return items.toString();
        }}
        return String.valueOf(value);
    }}

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {{ return (Map<String, Object>) value; }}

    public static void main(String[] args) {{
        NetspaceSDK ns = new NetspaceSDK("your-api-key", "your-secret-key");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("launch", ns.launchGame(new LaunchGameParams().setSessionId("tour-sess").setPlayerId("player123")
            .setGameId("lotterix").setCurrency("BRL").setClientIp("192.168.1.1")).getGameUrl());
        Map<String, Object> demo = ns.launchDemo("lotterix", "EUR");
        out.put("demo", List.of(demo.get("demo"), demo.get("balance")));
        out.put("currencies", ((List<?>) ns.getCurrencies().get("currencies")).size());
        Map<String, Object> page = ns.getGames(Map.of("search", "Lotterix", "per_page", 5));
        List<Object> ids = new ArrayList<>();
        for (Object game : (List<?>) page.get("games")) ids.add(map(game).get("id"));
        out.put("catalog", List.of(map(page.get("pagination")).get("per_page"), ids));
        out.put("odd_search", map(ns.getGames(Map.of("search", {json.dumps(SEARCH)})).get("pagination")).get("total"));
        out.put("detail", map(ns.getGameDetail("lotterix").get("game")).get("id"));
        Map<String, Object> fb = map(ns.assignFreeBet(Map.of(
            "operator_free_bet_id", "promo_2025_001",
            "player_id", "player123",
            "free_bets", Map.of("amount", 50.00, "currency", "BRL", "expires_at", "{FUTURE}"))).get("free_bet"));
        out.put("assigned", List.of(fb.get("operator_free_bet_id"), fb.get("player_id"), fb.get("amount"),
            fb.get("currency"), fb.get("status")));
        String id = (String) fb.get("netspace_free_bet_id");
        out.put("id", id);
        out.put("status", map(ns.getFreeBetStatus(id).get("free_bet")).get("status"));
        Map<String, Object> cancelled = map(ns.cancelFreeBet(id, {json.dumps(REASON)}).get("free_bet"));
        out.put("cancelled", List.of(cancelled.get("status"), cancelled.get("cancel_reason")));
        Map<String, Object> jackpot = map(ns.updateJackpot(2500, "BRL").get("jackpot"));
        out.put("jackpot", List.of(jackpot.get("amount"), jackpot.get("currency")));
        try {{
            ns.getGameDetail("no-such-game");
        }} catch (NetspaceException error) {{
            out.put("error", List.of(error.getCode(), error.getStatus()));
        }}
        System.out.println(json(out));
    }}
}}
"""


async def assert_toured(mock, out: dict) -> None:
    base = str(mock.client.make_url("")).rstrip("/")
    assert out["launch"].startswith(base + "/play/")
    assert out["demo"] == [True, 1000]
    assert out["currencies"] == 33
    assert out["catalog"][0] == 5 and "lotterix" in out["catalog"][1]
    assert (out["odd_search"], out["detail"]) == (0, "lotterix")
    assert out["assigned"] == ["promo_2025_001", "player123", 50, "BRL", "active"]
    assert out["id"].startswith("fb_ns_") and out["status"] == "active"
    assert out["cancelled"] == ["cancelled", REASON]
    assert out["jackpot"] == [2500, "BRL"]
    assert out["error"] == ["NOT_FOUND", 404]
    # The mock keeps what the SDK did: the free bet, cancelled with its reason.
    _, answer = await mock.post("/api/v1/freebets/status", {"netspace_free_bet_id": out["id"]}, expect=200)
    assert (answer["free_bet"]["status"], answer["free_bet"]["cancel_reason"]) == ("cancelled", REASON)
    assert await recorded_warnings(mock) == []


def last_json_line(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


async def test_python_sdk_tour(mock, tmp_path):
    script = tmp_path / "tour.py"
    script.write_text(PYTHON_TOUR, encoding="utf-8")
    env = {**only_the_base_url(mock), "PYTHONPATH": str(SDKS / "python")}
    await assert_toured(mock, last_json_line(await run(sys.executable, script, env=env, cwd=tmp_path)))


@needs_php
async def test_php_sdk_tour(mock, tmp_path):
    script = tmp_path / "tour.php"
    script.write_text(PHP_TOUR, encoding="utf-8")
    out = await run(PHP, script, SDKS / "php" / "autoload.php", env=only_the_base_url(mock), cwd=tmp_path)
    await assert_toured(mock, last_json_line(out))


@needs_java
async def test_java_sdk_tour(mock, tmp_path):
    source = tmp_path / "Tour.java"
    source.write_text(JAVA_TOUR, encoding="utf-8")
    classes = tmp_path / "classes"
    await run(JAVAC, "-d", classes, *sorted((SDKS / "java" / "src").rglob("*.java")), source, env={})
    out = await run(JAVA, "-cp", classes, "Tour", env=only_the_base_url(mock), cwd=tmp_path)
    await assert_toured(mock, last_json_line(out))


async def test_python_sdk_raises_the_error_envelope(mock, tmp_path):
    script = tmp_path / "refused.py"
    script.write_text(
        "from netspace import NetspaceError, NetspaceSDK\n"
        "ns = NetspaceSDK('your-api-key', 'not-the-secret')\n"
        "try:\n    ns.get_currencies()\nexcept NetspaceError as e:\n    print(e.code, e.status, e.message)\n",
        encoding="utf-8",
    )
    env = {**only_the_base_url(mock), "PYTHONPATH": str(SDKS / "python")}
    out = await run(sys.executable, script, env=env, cwd=tmp_path)
    assert out.startswith("UNAUTHORIZED 401 ") and "signature mismatch" in out
