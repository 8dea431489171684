"""The guide's JavaScript SDK, served at /sdk/netspace-sdk.js, runs the guide's quick start against the mock.

Node runs as a subprocess while the mock serves in this process's event loop, so every node call awaits
the subprocess without blocking the loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from support import recorded_warnings

NODE = shutil.which("node")
VECTORS = Path(__file__).parent / "data" / "signatures.json"
DEFAULT_BASE_URL = "https://api.netspace.one"


def _node_major() -> int:
    if NODE is None:
        return 0
    found = re.match(r"v(\d+)", subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout)
    return int(found.group(1)) if found else 0


NODE_MAJOR = _node_major()
# Every test but the first needs node; the one that reads the served file does not.
needs_node = pytest.mark.skipif(
    NODE_MAJOR < 18,
    reason="node is not on PATH: the JavaScript SDK tests run the SDK under Node 18+"
    if NODE is None
    else f"node {NODE_MAJOR} found: the JavaScript SDK tests need node 18+ (the global fetch)",
)


def base_url(client) -> str:
    return str(client.client.make_url("")).rstrip("/")


async def node(
    tmp_path: Path, script: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> Any:
    """Run a node script; it must exit 0 and print one JSON object as its last line of output. The
    environment is this process's without NETSPACE_API_URL, plus `env`."""
    path = tmp_path / f"script-{abs(hash(script))}.js"
    path.write_text(script, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != "NETSPACE_API_URL"}
    proc = await asyncio.create_subprocess_exec(
        NODE, str(path), *args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**environ, **(env or {})},
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"node ran longer than {timeout} s") from None
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 0, f"node exited {proc.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    return json.loads(stdout.strip().splitlines()[-1])


async def save_sdk(mock, tmp_path: Path) -> str:
    """The SDK as the mock serves it, saved where node can require() it."""
    async with mock.client.get("/sdk/netspace-sdk.js") as resp:
        assert resp.status == 200
        text = await resp.text()
    path = tmp_path / "netspace-sdk.js"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
async def sdk_file(client, tmp_path) -> str:
    return await save_sdk(client, tmp_path)


# ---- the served file ----------------------------------------------------------------------------


async def test_served_unsigned_as_javascript_with_no_external_urls(client):
    async with client.client.get("/sdk/netspace-sdk.js") as resp:
        assert resp.status == 200
        assert resp.content_type == "application/javascript"
        assert resp.charset == "utf-8"
        assert resp.headers["Cache-Control"] == "no-cache"
        body = await resp.read()
    packaged = resources.files("netspace_mock.web").joinpath("static/sdk/netspace-sdk.js").read_bytes()
    assert body == packaged
    text = body.decode("utf-8")
    # Offline: the only address in the file is the real platform's, the default baseUrl.
    assert re.findall(r"[a-z][a-z0-9+.-]*://[^\s'\"`)]*", text) == [DEFAULT_BASE_URL]
    assert text.count("http") == 1
    assert "import " not in text and "require('crypto')" in text


# ---- node: the guide's quick start and every method -----------------------------------------------

QUICK_START = r"""
// The guide's JavaScript quick start, as written, with baseUrl added.
const fs = require('fs');
const path = require('path');
const [baseUrl, saveAs] = process.argv.slice(2);

(async () => {
  const served = await fetch(baseUrl + '/sdk/netspace-sdk.js');
  fs.writeFileSync(saveAs, await served.text());
  const NetspaceSDK = require(path.resolve(saveAs));

  const netspace = new NetspaceSDK.NetspaceSDK({
    apiKey: 'sandbox-api-key',
    secretKey: 'sandbox-secret-key',
    baseUrl: baseUrl
  });

  const session = await netspace.launchGame({
    sessionId: 'session-123',
    playerId: 'player-456',
    gameId: 'lotterix',
    currency: 'USD',
    clientIp: '192.168.1.1'
  });

  console.log(JSON.stringify({ game_url: session.game_url, session_id: session.session_id,
                               exports: Object.keys(NetspaceSDK).sort() }));
})().catch((e) => { console.error(String(e), JSON.stringify(e.details || {})); process.exit(1); });
"""


@needs_node
async def test_guide_quick_start_runs_as_written(client, tmp_path):
    base = base_url(client)
    out = await node(tmp_path, QUICK_START, base, str(tmp_path / "fetched-sdk.js"))
    assert out["game_url"].startswith(base + "/play/")
    assert out["session_id"] == "session-123"
    assert out["exports"] == ["NetspaceError", "NetspaceSDK", "VERSION"]


EVERY_METHOD = r"""
const { NetspaceSDK } = require(process.argv[2]);
const baseUrl = process.argv[3];
// A trailing slash on baseUrl is tolerated.
const ns = new NetspaceSDK({ apiKey: 'sandbox-api-key', secretKey: 'sandbox-secret-key', baseUrl: baseUrl + '/' });
const FUTURE = '2031-01-01T00:00:00Z';

(async () => {
  const s = {};
  const launch = await ns.launchGame({ sessionId: 'js-sess-1', playerId: 'js-player-1', gameId: 'lotterix',
    currency: 'USD', language: 'pt', returnUrl: baseUrl + '/lobby', clientIp: '192.168.1.1' });
  s.launch = { game_url: launch.game_url, session_id: launch.session_id, has_expiry: !!launch.expires_at };
  const demo = await ns.launchDemo({ gameId: 'lotterix', currency: 'EUR', language: 'es' });
  s.demo = { demo: demo.demo, balance: demo.balance };

  s.currencies = (await ns.getCurrencies()).currencies.map((c) => c.code);
  const page = await ns.getGames({ page: 2, perPage: 5 });
  s.catalog = { pagination: page.pagination, count: page.games.length };
  const featuredOnly = await ns.getGames({ featured: true, currency: 'USD', language: 'en', perPage: 100 });
  s.catalog_featured = featuredOnly.games.map((g) => g.featured);
  const category = page.games[0].category;
  s.catalog_category = { asked: category, got: [...new Set((await ns.getGames({ category })).games.map((g) => g.category))] };
  s.catalog_search = (await ns.getGames({ search: 'Lotterix' })).games.map((g) => g.id);
  s.detail = (await ns.getGameDetail('lotterix')).game.id;
  s.categories = (await ns.getCategories()).categories.length;
  s.featured = (await ns.getFeaturedGames()).games.length;

  const fb = (await ns.assignFreeBet({ operatorFreeBetId: 'js-promo-1', playerId: 'js-player-1', amount: 5,
    currency: 'USD', expiresAt: FUTURE, gameId: 'lotterix' })).free_bet;
  const status = (await ns.getFreeBetStatus(fb.netspace_free_bet_id)).free_bet;
  const cancelled = (await ns.cancelFreeBet(fb.netspace_free_bet_id, 'player asked')).free_bet;
  s.free_bet = { id: fb.netspace_free_bet_id, assigned: fb.status, game_id: fb.game_id, amount: fb.amount,
    status_id: status.netspace_free_bet_id, status: status.status,
    cancelled: cancelled.status, reason: cancelled.cancel_reason };

  s.jackpot = (await ns.updateJackpot({ amount: 2500, currency: 'USD' })).jackpot;

  const sbx = await ns.sandboxLaunch({ sessionId: 'js-sbx-1', playerId: 'js-player-2', gameId: 'lotterix', currency: 'USD' });
  s.sandbox_launch = sbx.game_url;
  s.balance_before = (await ns.sandboxBalance('js-sbx-1')).balance;
  const won = (await ns.sandboxBet({ sessionId: 'js-sbx-1', amount: 1, outcome: 'win', winAmount: 3,
    numbers: [1, 2, 3, 4, 5] })).round;
  s.round = { outcome: won.outcome, bet: won.bet.amount, win: won.win.amount, balance: won.balance };
  await ns.assignFreeBet({ operatorFreeBetId: 'js-promo-2', playerId: 'js-player-2', amount: 2, currency: 'USD', expiresAt: FUTURE });
  const free = (await ns.sandboxBet({ sessionId: 'js-sbx-1', amount: 1, outcome: 'lose', useFreeBet: true })).round;
  s.free_round = { outcome: free.outcome, balance: free.balance };
  s.balance_after = (await ns.sandboxBalance('js-sbx-1')).balance;
  const stats = (await ns.sandboxStats()).stats;
  s.stats = { bets: stats.bets.count, wins: stats.wins.count };

  s.cert_tests = (await ns.getCertificationTests()).tests.map((t) => t.id);
  const run = (await ns.runCertification({ playerId: 'js-cert', currency: 'USD' })).run;
  s.cert_run = { status: run.status, results: run.results.map((r) => [r.test, r.status]) };
  s.cert_status = (await ns.getCertificationStatus()).certified;
  const only = (await ns.runCertification({ playerId: 'js-cert-2', currency: 'EUR', sessionId: 'js-cert-sess',
    tests: ['balance'] })).run;
  s.cert_only = only.results.filter((r) => r.status !== 'skipped').map((r) => r.test);
  // Certified means: every required test of the latest run passed, and this run left some out.
  s.cert_status_after_partial = (await ns.getCertificationStatus()).certified;

  s.reset = Object.keys((await ns.sandboxReset()).reset).length > 0;
  s.stats_after_reset = (await ns.sandboxStats()).stats.bets.count;
  console.log(JSON.stringify(s));
})().catch((e) => { console.error(String(e), JSON.stringify(e.details || {})); process.exit(1); });
"""


@needs_node
async def test_every_method_against_the_mock(make_client, sdk_file, tmp_path):
    client = await make_client(strict=True)  # a lenient form would be refused, and none is recorded
    base = base_url(client)
    s = await node(tmp_path, EVERY_METHOD, sdk_file, base, timeout=120)
    assert s["launch"]["game_url"].startswith(base + "/play/") and s["launch"]["session_id"] == "js-sess-1"
    assert s["launch"]["has_expiry"] is True
    assert s["demo"] == {"demo": True, "balance": 1000}
    assert len(s["currencies"]) == 33 and s["currencies"][:2] == ["USD", "EUR"]
    pagination = s["catalog"]["pagination"]
    assert (pagination["page"], pagination["per_page"]) == (2, 5) and s["catalog"]["count"] <= 5
    assert pagination["total_pages"] == -(-pagination["total"] // 5)
    assert s["catalog_featured"] and all(s["catalog_featured"])
    assert s["catalog_category"]["got"] == [s["catalog_category"]["asked"]]
    assert "lotterix" in s["catalog_search"]
    assert s["detail"] == "lotterix"
    assert s["categories"] > 0 and s["featured"] > 0
    fb = s["free_bet"]
    assert fb["id"].startswith("fb_ns_") and fb["status_id"] == fb["id"]
    assert (fb["assigned"], fb["status"], fb["cancelled"]) == ("active", "active", "cancelled")
    assert (fb["game_id"], fb["amount"], fb["reason"]) == ("lotterix", 5, "player asked")
    assert (s["jackpot"]["game_id"], s["jackpot"]["amount"], s["jackpot"]["currency"]) == (
        "lotterix",
        2500,
        "USD",
    )
    assert s["sandbox_launch"].startswith(base + "/play/")
    assert s["round"] == {"outcome": "win", "bet": 1, "win": 3, "balance": s["balance_before"] + 2}
    # The free bet paid the stake: the real balance did not move on a lost free round.
    assert s["free_round"] == {"outcome": "lose", "balance": s["balance_before"] + 2}
    assert s["balance_after"] == s["balance_before"] + 2
    assert s["stats"]["bets"] >= 2 and s["stats"]["wins"] >= 1
    assert s["cert_tests"][:2] == ["authentication", "balance"] and "refund" in s["cert_tests"]
    assert s["cert_run"]["status"] == "passed", s["cert_run"]
    assert {status for _, status in s["cert_run"]["results"]} == {"passed"}
    assert s["cert_only"] == ["balance"]
    assert (s["cert_status"], s["cert_status_after_partial"]) == (True, False)
    assert s["reset"] is True and s["stats_after_reset"] == 0
    assert await recorded_warnings(client) == []


GUIDE_SHAPES = r"""
// The guide's request bodies as the SDK's arguments; no baseUrl: the SDK reads NETSPACE_API_URL.
const { NetspaceSDK } = require(process.argv[2]);
const ns = new NetspaceSDK({ apiKey: 'sandbox-api-key', secretKey: 'sandbox-secret-key' });

(async () => {
  const out = { baseUrl: ns.baseUrl };
  const launch = await ns.launchGame({ session_id: 'shape-sess', player_id: 'player123', game_id: 'lotterix',
                                       currency: 'BRL', client_ip: '192.168.1.1' });
  out.launch = launch.session_id;
  const assigned = (await ns.assignFreeBet({
    operator_free_bet_id: 'promo_2025_001',
    player_id: 'player123',
    free_bets: { amount: 50.00, currency: 'BRL', expires_at: '2031-02-15T23:59:59Z' }
  })).free_bet;
  out.assigned = [assigned.operator_free_bet_id, assigned.player_id, assigned.amount, assigned.currency,
                  assigned.expires_at, assigned.status];
  const id = assigned.netspace_free_bet_id;
  out.id = id;
  out.status = (await ns.getFreeBetStatus({ netspace_free_bet_id: id })).free_bet.status;
  const cancelled = (await ns.cancelFreeBet({ netspace_free_bet_id: id, reason: 'Player requested cancellation' })).free_bet;
  out.cancelled = [cancelled.status, cancelled.cancel_reason];
  out.jackpot = (await ns.updateJackpot(2500, 'BRL')).jackpot;
  out.detail = (await ns.getGameDetail({ game_id: 'lotterix' })).game.id;
  out.page = (await ns.getGames({ per_page: 2 })).pagination.per_page;
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e), JSON.stringify(e.details || {})); process.exit(1); });
"""


@needs_node
async def test_methods_accept_the_guides_request_shapes_and_the_base_url_from_the_environment(
    client, sdk_file, tmp_path
):
    base = base_url(client) + "/"
    out = await node(tmp_path, GUIDE_SHAPES, sdk_file, env={"NETSPACE_API_URL": base})
    assert out["baseUrl"] == base.rstrip("/")
    assert out["launch"] == "shape-sess"
    assert out["assigned"] == ["promo_2025_001", "player123", 50, "BRL", "2031-02-15T23:59:59.000Z", "active"]
    assert out["status"] == "active"
    assert out["cancelled"] == ["cancelled", "Player requested cancellation"]
    assert (out["jackpot"]["amount"], out["jackpot"]["currency"]) == (2500, "BRL")
    assert (out["detail"], out["page"]) == ("lotterix", 2)
    # The free bet the SDK cancelled, as the mock keeps it.
    _, answer = await client.post("/api/v1/freebets/status", {"netspace_free_bet_id": out["id"]}, expect=200)
    assert (answer["free_bet"]["status"], answer["free_bet"]["player_id"]) == ("cancelled", "player123")


# ---- node: errors, signing of non-ASCII text and queries, the page helper ---------------------------

ERRORS = r"""
const { NetspaceSDK, NetspaceError } = require(process.argv[2]);
const baseUrl = process.argv[3];
const ns = new NetspaceSDK({ apiKey: 'sandbox-api-key', secretKey: 'sandbox-secret-key', baseUrl });
const wrong = new NetspaceSDK({ apiKey: 'sandbox-api-key', secretKey: 'not-the-secret', baseUrl });
const nowhere = new NetspaceSDK({ apiKey: 'k', secretKey: 's', baseUrl: 'http://127.0.0.1:9', timeout: 5000 });

async function caught(promise) {
  try { await promise; return { threw: false }; } catch (e) {
    return { threw: true, isNetspaceError: e instanceof NetspaceError, isError: e instanceof Error,
             name: e.name, code: e.code, status: e.status, message: e.message, details: e.details };
  }
}

(async () => {
  const out = {};
  out.unknown_game = await caught(ns.getGameDetail('no-such-game'));
  out.bad_body = await caught(ns.launchGame({ sessionId: 's', playerId: 'p', gameId: 'lotterix' }));
  out.bad_secret = await caught(wrong.getCurrencies());
  out.unreachable = await caught(nowhere.getCurrencies());
  let ctor;
  try { new NetspaceSDK({ apiKey: 'k' }); } catch (e) { ctor = e.message; }
  out.constructor_error = ctor;
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


@needs_node
async def test_failures_throw_netspace_error(client, sdk_file, tmp_path):
    out = await node(tmp_path, ERRORS, sdk_file, base_url(client))
    unknown = out["unknown_game"]
    assert unknown["threw"] and unknown["isNetspaceError"] and unknown["isError"]
    assert (unknown["name"], unknown["code"], unknown["status"]) == ("NetspaceError", "NOT_FOUND", 404)
    assert unknown["message"]
    bad = out["bad_body"]
    assert (bad["code"], bad["status"]) == ("INVALID_REQUEST", 400)
    assert any(e["path"] == "$.currency" for e in bad["details"]["errors"])
    unsigned = out["bad_secret"]
    assert (unsigned["code"], unsigned["status"]) == ("UNAUTHORIZED", 401)
    assert "signature mismatch" in unsigned["message"]
    assert unsigned["details"]["string_to_sign"].endswith("GET/api/game/currencies")
    down = out["unreachable"]
    assert (down["isNetspaceError"], down["code"], down["status"]) == (True, "NETWORK_ERROR", 0)
    assert "apiKey, secretKey" in out["constructor_error"]


NON_ASCII = r"""
const { NetspaceSDK } = require(process.argv[2]);
const ns = new NetspaceSDK({ apiKey: 'sandbox-api-key', secretKey: 'sandbox-secret-key', baseUrl: process.argv[3] });
const REASON = 'Solicitação — 取消';
const SEARCH = "Lotterix d'or (100% * grátis!) 取 ~";

(async () => {
  await ns.launchGame({ sessionId: 'nx-sess', playerId: 'jogador-ção', gameId: 'lotterix', currency: 'BRL' });
  const fb = (await ns.assignFreeBet({ operatorFreeBetId: 'promo-ção-取消', playerId: 'jogador-ção', amount: 50.00,
    currency: 'BRL', expiresAt: '2031-02-15T23:59:59Z' })).free_bet;
  const cancelled = (await ns.cancelFreeBet(fb.netspace_free_bet_id, REASON)).free_bet;
  // A query string with characters fetch() would re-encode if the SDK encoded them loosely.
  const found = await ns.getGames({ search: SEARCH, perPage: 3 });
  const balance = await ns.sandboxBalance('nx-sess');
  console.log(JSON.stringify({ reason: cancelled.cancel_reason, status: cancelled.status,
    operator_id: fb.operator_free_bet_id, searched: found.pagination.total, balance_session: balance.session_id }));
})().catch((e) => { console.error(String(e), JSON.stringify(e.details || {})); process.exit(1); });
"""


@needs_node
@pytest.mark.parametrize("signature_path", ["either", "path"])
async def test_non_ascii_bodies_and_queries_sign_correctly(make_client, tmp_path, signature_path):
    # path: the mock accepts only a signature over the path alone, the strict form the SDK signs.
    mock = await make_client(signature_path=signature_path)
    out = await node(tmp_path, NON_ASCII, await save_sdk(mock, tmp_path), base_url(mock))
    assert out == {
        "reason": "Solicitação — 取消",
        "status": "cancelled",
        "operator_id": "promo-ção-取消",
        "searched": 0,
        "balance_session": "nx-sess",
    }


OPEN_IN_IFRAME_NODE = r"""
const { NetspaceSDK } = require(process.argv[2]);
const ns = new NetspaceSDK({ apiKey: 'k', secretKey: 's' });
let message = null;
try { ns.openInIframe('game-container', 'https://example.invalid/play/x'); } catch (e) { message = e.message; }
console.log(JSON.stringify({ message, baseUrl: ns.baseUrl }));
"""


@needs_node
async def test_open_in_iframe_explains_itself_under_node(sdk_file, tmp_path):
    out = await node(tmp_path, OPEN_IN_IFRAME_NODE, sdk_file)
    assert out["message"] and "browser" in out["message"] and "game_url" in out["message"]
    assert out["baseUrl"] == DEFAULT_BASE_URL


# ---- node, pretending to be a browser: the <script> path, crypto.subtle, the iframe --------------

BROWSER = r"""
// The SDK run as a browser <script>: no module, no require, no process; WebCrypto, fetch and a tiny DOM.
const fs = require('fs');
const vm = require('vm');
const [sdkPath, baseUrl, vectorsPath] = process.argv.slice(2);

function element(tag) {
  return {
    tagName: tag.toUpperCase(), attributes: {}, style: {}, children: [], parentNode: null, src: '', title: '',
    setAttribute(name, value) { this.attributes[name] = String(value); },
    appendChild(child) { child.parentNode = this; this.children.push(child); return child; },
    removeChild(child) { this.children.splice(this.children.indexOf(child), 1); child.parentNode = null; return child; },
  };
}
const container = element('div');
const document = {
  getElementById: (id) => (id === 'game-container' ? container : null),
  createElement: element,
};
const window = { document, fetch, crypto: require('crypto').webcrypto, TextEncoder, AbortController,
                 setTimeout, clearTimeout, console };
vm.createContext(window);
vm.runInContext(fs.readFileSync(sdkPath, 'utf8'), window, { filename: 'netspace-sdk.js' });

(async () => {
  const out = { global: typeof window.NetspaceSDK, ctor: typeof (window.NetspaceSDK || {}).NetspaceSDK,
                leaked: typeof window.module };
  const NetspaceSDK = window.NetspaceSDK;
  const netspace = new NetspaceSDK.NetspaceSDK({ apiKey: 'sandbox-api-key', secretKey: 'sandbox-secret-key', baseUrl });

  // Signed with crypto.subtle here: the shared test vectors must come out the same.
  const vectors = JSON.parse(fs.readFileSync(vectorsPath, 'utf8'));
  out.vectors = [];
  for (const v of vectors) {
    const sdk = new NetspaceSDK.NetspaceSDK({ apiKey: 'k', secretKey: v.secret_key });
    out.vectors.push([await sdk.signature(v.timestamp, v.method, v.path, v.body), v.signature]);
  }

  const session = await netspace.launchGame({ sessionId: 'session-123', playerId: 'player-456', gameId: 'lotterix',
                                              currency: 'USD', clientIp: '192.168.1.1' });
  const cancelled = await netspace.launchGame({ sessionId: 'b-2', playerId: 'jogador-ção', gameId: 'lotterix', currency: 'BRL' })
    .then(() => netspace.assignFreeBet({ operatorFreeBetId: 'b-promo', playerId: 'jogador-ção', amount: 1, currency: 'BRL',
                                         expiresAt: '2031-01-01T00:00:00Z' }))
    .then((a) => netspace.cancelFreeBet(a.free_bet.netspace_free_bet_id, 'Solicitação — 取消'));
  out.reason = cancelled.free_bet.cancel_reason;

  const first = netspace.openInIframe('game-container', session.game_url);
  const second = netspace.openInIframe('game-container', session.game_url + '?again');
  out.iframe = { count: container.children.length, src: container.children[0].src, tag: second.tagName,
                 first_detached: first.parentNode === null, attributes: second.attributes, style: second.style };
  try { netspace.openInIframe('missing', session.game_url); } catch (e) { out.missing = e.message; }
  out.game_url = session.game_url;
  // A page's NETSPACE_API_URL global is the default baseUrl, as the environment variable is on Node.
  window.NETSPACE_API_URL = baseUrl + '/';
  out.from_global = new NetspaceSDK.NetspaceSDK({ apiKey: 'k', secretKey: 's' }).baseUrl;
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e), JSON.stringify(e.details || {})); process.exit(1); });
"""


@needs_node
async def test_browser_script_signs_with_webcrypto_and_embeds_the_game(client, sdk_file, tmp_path):
    base = base_url(client)
    out = await node(tmp_path, BROWSER, sdk_file, base, str(VECTORS))
    assert (out["global"], out["ctor"], out["leaked"]) == ("object", "function", "undefined")
    assert out["vectors"] and all(got == want for got, want in out["vectors"]), out["vectors"]
    assert out["reason"] == "Solicitação — 取消"
    assert out["game_url"].startswith(base + "/play/")
    iframe = out["iframe"]
    assert (iframe["count"], iframe["tag"], iframe["first_detached"]) == (1, "IFRAME", True)
    assert iframe["src"] == out["game_url"] + "?again"
    assert iframe["attributes"]["allow"] == "fullscreen"
    assert (iframe["attributes"]["width"], iframe["attributes"]["height"]) == ("100%", "100%")
    assert iframe["style"] == {"width": "100%", "height": "100%", "border": "0"}
    assert 'no element with id "missing"' in out["missing"]
    assert out["from_global"] == base


SIGN_VECTORS_NODE = r"""
const { NetspaceSDK } = require(process.argv[2]);
const vectors = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
(async () => {
  const pairs = [];
  for (const v of vectors) {
    const sdk = new NetspaceSDK({ apiKey: 'k', secretKey: v.secret_key });
    pairs.push([await sdk.signature(v.timestamp, v.method, v.path, v.body), v.signature]);
  }
  console.log(JSON.stringify(pairs));
})();
"""


@needs_node
async def test_node_signing_reproduces_the_shared_vectors(sdk_file, tmp_path):
    pairs = await node(tmp_path, SIGN_VECTORS_NODE, sdk_file, str(VECTORS))
    assert len(pairs) == len(json.loads(VECTORS.read_text(encoding="utf-8")))
    assert all(got == want for got, want in pairs), pairs
