"""`make bench-peers`: the mock's signed GET /api/games/catalog beside the two mock servers an operator
would otherwise reach for, Stoplight Prism and WireMock, all serving the same catalog JSON, with the bare
aiohttp ceiling; all four on the server core, in alternating slices of the same run.

WireMock's standalone jar (npm package `wiremock`) answers the mock's exact bytes from one stub mapping,
with request logging, the request journal and chunked encoding off; `prism mock` answers an OpenAPI 3
document whose only operation has the catalog as its example (the same JSON value, not the same bytes),
at log level warn. Both are installed on first use with npm into bench/.peers/ (git-ignored), at the
versions in PACKAGES, and need node, npm and java. The JVM and V8 compile their hot code while serving:
each peer gets `--peer-warmup` seconds (default 30) of unmeasured load before the slices.
"""

import contextlib
import json
import shutil
import subprocess
import sys

from catalog import PATH
from common import BENCH_DIR, LOOPBACK, Server, alternate, figure, free_port, load, mock_and_ceiling, row, run

PEERS = BENCH_DIR / ".peers"
PACKAGES = {"@stoplight/prism-cli": "5.14.2", "wiremock": "3.13.2"}
# prism-cli 5.14.2's ^ ranges now resolve to siblings that need node >= 24; these run on node >= 18.20.1.
OVERRIDES = {
    "@stoplight/prism-core": "5.8.0",
    "@stoplight/prism-http": "5.12.0",
    "@stoplight/prism-http-server": "5.12.2",
}
PRISM = PEERS / "node_modules/@stoplight/prism-cli/dist/index.js"
JAR = PEERS / f"node_modules/wiremock/build/wiremock-standalone-{PACKAGES['wiremock']}.jar"


def tools() -> tuple[str, str]:
    """node and java, after installing the peers into bench/.peers/ unless they are there."""
    found = {name: shutil.which(name) for name in ("node", "java", "npm")}
    if None in found.values():
        raise RuntimeError(f"peers need node, java and npm on the PATH: {found}")
    if not (PRISM.is_file() and JAR.is_file()):
        PEERS.mkdir(exist_ok=True)
        manifest = {"private": True, "dependencies": PACKAGES, "overrides": OVERRIDES}
        (PEERS / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        argv = [
            found["npm"],
            "install",
            "--prefix",
            str(PEERS),
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
        ]
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, timeout=600)
    return found["node"], found["java"]


def wiremock(java: str, answer: bytes, workdir) -> Server:
    root = workdir / "wiremock"
    (root / "mappings").mkdir(parents=True)
    (root / "__files").mkdir()
    (root / "__files/catalog.json").write_bytes(answer)
    stub = {
        "request": {"method": "GET", "url": PATH},
        "response": {
            "status": 200,
            "bodyFileName": "catalog.json",
            "headers": {"Content-Type": "application/json"},
        },
    }
    (root / "mappings/catalog.json").write_text(json.dumps(stub))
    port = free_port()
    argv = [
        java,
        "-jar",
        str(JAR),
        "--port",
        str(port),
        "--bind-address",
        LOOPBACK,
        "--root-dir",
        str(root),
        "--disable-banner",
        "--disable-request-logging",
        "--no-request-journal",
        "--use-chunked-encoding",
        "never",
    ]
    return Server("wiremock", argv, port, workdir / "wiremock.log")


def prism(node: str, answer: bytes, workdir) -> Server:
    example = {"content": {"application/json": {"example": json.loads(answer)}}, "description": "catalog"}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "catalog", "version": "1"},
        "paths": {PATH: {"get": {"responses": {"200": example}}}},
    }
    (workdir / "openapi.json").write_text(json.dumps(document))
    port = free_port()
    argv = [
        node,
        str(PRISM),
        "mock",
        "-p",
        str(port),
        "-h",
        LOOPBACK,
        "-v",
        "warn",
        str(workdir / "openapi.json"),
    ]
    return Server("prism", argv, port, workdir / "prism.log")


async def measure(args, workdir) -> dict:
    node, java = tools()
    with contextlib.ExitStack() as stack:
        mock, ceiling, answer = await mock_and_ceiling(stack, workdir, "GET", PATH)
        targets = {"mock": mock, "ceiling": ceiling}
        for peer in (wiremock(java, answer, workdir), prism(node, answer, workdir)):
            stack.callback(peer.stop)
            await peer.healthy(PATH, timeout=120)
            print(f"peers: {args.peer_warmup:g} s of unmeasured load on {peer.name}", flush=True)
            await load(peer, PATH, args, seconds=args.peer_warmup)
            targets[peer.name] = peer
        found = await alternate(targets, PATH, args)
    ratios = {name: round(r["rps"] / found["ceiling"]["rps"], 3) for name, r in found.items()}
    rows = [
        row(f"peers run: {name}, GET {PATH}", f"{figure(found[name])}, ratio {ratios[name]:.3f}")
        for name in found
    ]
    return {"measure": "peers", "packages": PACKAGES, "results": found, "ratios": ratios, "rows": rows}


if __name__ == "__main__":
    raise SystemExit(run("peers", measure, sys.argv[1:]))
