#!/usr/bin/env bash
# `make image-test`: build the Dockerfile on a Debian base made here from Debian packages (no image
# registry needed), run the image, and check /health, the HEALTHCHECK command, a signed request, the
# database on the /data volume and the non-root user. Needs root, podman and mmdebstrap (.ci/run installs
# them); pip inside the build reaches the package index through the system's CA bundle.
#
# The image runs under `podman run` where the machine allows it; where no OCI runtime can start a
# container (IMAGE_TEST_MODE=chroot forces it), the image is mounted and its entrypoint and HEALTHCHECK
# command run in a chroot as the image's user. Everything lives under build/image-test/ (gitignored): the
# base tarball is made once and reused; podman's storage is kept there too, so a second run is warm.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${IMAGE_TEST_CACHE:-build/image-test}
SUITE=bookworm
MIRROR=${IMAGE_TEST_MIRROR:-http://deb.debian.org/debian}
BASE=localhost/netspace-mock-base:$SUITE
IMAGE=localhost/netspace-mock:image-test
CA_BUNDLE=${IMAGE_TEST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
MODE=${IMAGE_TEST_MODE:-auto}
UID_EXPECTED=10001

say() { printf 'image-test: %s\n' "$*"; }
fail() {
  printf 'image-test: FAILED: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (podman image mount and mmdebstrap --mode=root need it)"
for tool in podman mmdebstrap curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install podman mmdebstrap uidmap curl)"
done
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
PODMAN=(podman --root "$CACHE/storage" --runroot "$CACHE/run")
if ! "${PODMAN[@]}" info >/dev/null 2>"$CACHE/podman-info.err"; then
  say "podman info: $(tail -1 "$CACHE/podman-info.err"); trying the vfs storage driver"
  PODMAN+=(--storage-driver vfs)
  "${PODMAN[@]}" info >/dev/null 2>"$CACHE/podman-info.err" ||
    fail "podman cannot use $CACHE/storage: $(tail -1 "$CACHE/podman-info.err") (remove that folder?)"
fi

# One run at a time on a cache. The storage is this script's own, so every container in it (build
# containers of an interrupted build included) and every mount of it is a run's: removed at the start
# (a run killed outright leaves them) and at the end.
exec 9>"$CACHE/lock"
flock --nonblock 9 || fail "another make image-test is running on $CACHE"
remove_leftovers() {
  local ids
  mapfile -t ids < <("${PODMAN[@]}" ps --all --external --quiet 2>/dev/null)
  [ "${#ids[@]}" = 0 ] || "${PODMAN[@]}" rm --force --time 5 "${ids[@]}" >/dev/null 2>&1 || true
  "${PODMAN[@]}" image unmount --all >/dev/null 2>&1 || true
}
remove_leftovers
rm -rf "$CACHE"/run-*

# State this run creates, removed on every exit (INT and TERM exit too, so the trap runs).
CONTAINER=netspace-mock-image-test-$$
WORK=$(mktemp -d "$CACHE/run-XXXXXX")
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  remove_leftovers
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The base: Debian packages only, made once.
if ! "${PODMAN[@]}" image exists "$BASE"; then
  if [ ! -s "$CACHE/base-$SUITE.tar" ]; then
    say "making the $SUITE base root filesystem with mmdebstrap (once; cached in $CACHE)"
    # The output name must end in .tar: mmdebstrap picks the format from it.
    mmdebstrap --quiet --mode=root --variant=minbase --include=python3,python3-venv,ca-certificates \
      "$SUITE" "$CACHE/base-$SUITE.part.tar" "$MIRROR"
    mv "$CACHE/base-$SUITE.part.tar" "$CACHE/base-$SUITE.tar"
  fi
  "${PODMAN[@]}" import --quiet "$CACHE/base-$SUITE.tar" "$BASE" >/dev/null
fi

# 2. The image, built as a user's `docker build` would, with only the base image changed. The build's pip
# trusts the host's CA bundle (an intercepting proxy may need it): both are mounted on /root, pip's home
# there, a folder every base has, so no empty mount point is left in the image.
mkdir -p "$WORK/root/.config/pip"
cp "$CA_BUNDLE" "$WORK/root/ca-certificates.crt"
printf '[global]\ncert = /root/ca-certificates.crt\n' >"$WORK/root/.config/pip/pip.conf"
say "building $IMAGE on $BASE"
started=$(date +%s)
"${PODMAN[@]}" build --quiet --format docker --isolation chroot --build-arg "BASE_IMAGE=$BASE" \
  --volume "$WORK/root:/root:ro" \
  --tag "$IMAGE" . >"$WORK/build.log" 2>&1 || {
  tail -20 "$WORK/build.log" >&2
  fail "podman build failed"
}
# Only the tagged image is kept (the build stage of each build would otherwise pile up).
"${PODMAN[@]}" image prune --force >/dev/null
say "built in $(($(date +%s) - started)) s; image $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE" |
  awk '{printf "%.0f MB", $1 / 1e6}'), base $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE" |
  awk '{printf "%.0f MB", $1 / 1e6}')"

config() { "${PODMAN[@]}" image inspect --format "$1" "$IMAGE"; }
[ "$(config '{{.Config.User}}')" = netspace ] || fail "the image's USER is not netspace"
[[ $(config '{{json .Config.Volumes}}') == *'"/data"'* ]] || fail "the image declares no /data volume"
HEALTH=$(config '{{json .Config.Healthcheck.Test}}')
[ "$HEALTH" = '["CMD","python","-m","netspace_mock.healthcheck"]' ] || fail "unexpected HEALTHCHECK $HEALTH"
mapfile -t HEALTH_CMD < <(config '{{range .Config.Healthcheck.Test}}{{println .}}{{end}}' | sed '1d;/^$/d')
mapfile -t ENTRYPOINT < <(config '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t IMAGE_ENV < <(config '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')

# 3. Run it: the volume is a fresh host folder, so the database can be looked at from outside.
VOLUME_DIR=$WORK/data
mkdir "$VOLUME_DIR"
chown "$UID_EXPECTED:$UID_EXPECTED" "$VOLUME_DIR"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The first set of `podman run` options that starts a container here: without CAP_SYS_RESOURCE an OCI
# runtime cannot raise rlimits (so they are lowered), and crun refuses hybrid cgroups (runc does not).
RUN_OPTS=()
pick_runtime() {
  local lowered=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
  local candidate
  for candidate in "" "lowered" "runc lowered"; do
    local opts=()
    if [[ $candidate == *runc* ]]; then
      command -v runc >/dev/null || continue
      opts+=(--runtime runc)
    fi
    [[ $candidate != *lowered* ]] || opts+=("${lowered[@]}")
    if "${PODMAN[@]}" run --rm "${opts[@]}" --entrypoint true "$IMAGE" >/dev/null 2>"$WORK/probe.err"; then
      RUN_OPTS=("${opts[@]}")
      return 0
    fi
    say "podman run ${opts[*]:-(defaults)}: $(tail -1 "$WORK/probe.err")"
  done
  return 1
}
WHY_CHROOT="IMAGE_TEST_MODE=chroot"
if [ "$MODE" = auto ]; then
  if pick_runtime; then MODE=podman; else MODE=chroot WHY_CHROOT="podman run cannot start a container here"; fi
fi

if [ "$MODE" = podman ]; then
  say "running with podman run ${RUN_OPTS[*]} on 127.0.0.1:$PORT"
  # Without systemd podman cannot schedule the HEALTHCHECK (it says so on stderr, kept in podman.log);
  # `podman healthcheck run` below runs it all the same.
  "${PODMAN[@]}" run --detach --name "$CONTAINER" "${RUN_OPTS[@]}" --publish "127.0.0.1:$PORT:8080" \
    --volume "$VOLUME_DIR:/data" "$IMAGE" >/dev/null 2>>"$WORK/podman.log" || {
    cat "$WORK/podman.log" >&2
    fail "podman run failed"
  }
  in_image() { "${PODMAN[@]}" exec "$CONTAINER" "$@"; }
  healthcheck() { "${PODMAN[@]}" healthcheck run "$CONTAINER" >/dev/null 2>&1; }
  server_pid() { "${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$CONTAINER"; }
  server_log() { "${PODMAN[@]}" logs "$CONTAINER" 2>&1; }
  server_running() { [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$CONTAINER")" = true ]; }
elif [ "$MODE" = chroot ]; then
  ROOTFS=$("${PODMAN[@]}" image mount "$IMAGE")
  # The container's network is the host's here, so the server listens on 127.0.0.1 and a free port.
  CHROOT_ENV=("${IMAGE_ENV[@]}" HOME=/data NETSPACE_MOCK_HOST=127.0.0.1 "NETSPACE_MOCK_PORT=$PORT")
  # A private mount namespace puts the volume on /data (and the host's /dev) for each command only.
  # shellcheck disable=SC2016 # the inner sh expands $1 $2 $@
  CHROOT=(unshare --mount --fork --kill-child sh -c
    'mount --bind "$1" "$2/data" && mount --rbind /dev "$2/dev" && shift 2 && exec "$@"' sh
    "$VOLUME_DIR" "$ROOTFS" chroot --userspec="$UID_EXPECTED:$UID_EXPECTED" "$ROOTFS"
    /usr/bin/env -i "${CHROOT_ENV[@]}" sh -c 'cd /data && exec "$@"' sh)
  in_image() { "${CHROOT[@]}" "$@"; }
  healthcheck() { in_image "${HEALTH_CMD[@]}" >/dev/null 2>&1; }
  say "$WHY_CHROOT: running the image's entrypoint in a chroot as uid $UID_EXPECTED on 127.0.0.1:$PORT"
  "${CHROOT[@]}" "${ENTRYPOINT[@]}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  server_pid() { pgrep -P "$SERVER_PID"; } # unshare's child, which became the server by exec
  server_log() { cat "$WORK/server.log"; }
  server_running() { kill -0 "$SERVER_PID" 2>/dev/null; }
else
  fail "IMAGE_TEST_MODE must be auto, podman or chroot, not $MODE"
fi

# 4. The checks.
for _ in $(seq 100); do
  healthcheck && break
  server_running || {
    server_log >&2
    fail "the server exited at start (its output is above)"
  }
  sleep 0.2
done
healthcheck || {
  server_log >&2
  fail "the HEALTHCHECK command did not pass within 20 s"
}
say "ok: the HEALTHCHECK command (python -m netspace_mock.healthcheck) passes inside the image"

URL=http://127.0.0.1:$PORT
[ "$(curl -fsS "$URL/health" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')" = ok ] ||
  fail "GET /health did not answer status ok"
say "ok: GET $URL/health answers status ok"

path=/api/games/catalog
mapfile -t signed < <(in_image netspace-mock sign GET "$path" | sed '/^$/q' | sed '/^$/d')
headers=()
for line in "${signed[@]}"; do headers+=(-H "$line"); done
[ "${#headers[@]}" -ge 6 ] || fail "netspace-mock sign printed no headers"
status=$(curl -sS -o "$WORK/catalog.json" -w '%{http_code}' "${headers[@]}" "$URL$path")
[ "$status" = 200 ] || fail "the signed GET $path answered $status: $(head -c 300 "$WORK/catalog.json")"
unsigned=$(curl -sS -o /dev/null -w '%{http_code}' "$URL$path")
[ "$unsigned" = 401 ] || fail "an unsigned GET $path answered $unsigned, not 401"
say "ok: GET $path signed by the image's own netspace-mock sign answers 200 (unsigned: 401)"

pid=$(server_pid)
owner=$([ -n "$pid" ] && stat -c %u "/proc/$pid" || echo none)
[ "$owner" = "$UID_EXPECTED" ] || fail "the server process ${pid:-?} runs as uid $owner, not $UID_EXPECTED"
[ "$(in_image id -u)" = "$UID_EXPECTED" ] || fail "commands in the image do not run as uid $UID_EXPECTED"
say "ok: the server (pid $pid on the host) and commands in the image run as uid $UID_EXPECTED, not root"

db=$VOLUME_DIR/netspace-mock.db
[ -s "$db" ] || fail "no database in the volume (/data/netspace-mock.db)"
[ "$(stat -c %u "$db")" = "$UID_EXPECTED" ] || fail "the database is not owned by uid $UID_EXPECTED"
tables=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
  "select count(*) from sqlite_master where type = ?", ("table",)).fetchone()[0])' "$db")
[ "$tables" -gt 0 ] || fail "the database in the volume has no tables"
# (grep reads a file, not a pipe: with pipefail an early-exiting grep -q would fail the pipe)
server_log >"$WORK/server.out"
grep -q "Database    /data/netspace-mock.db" "$WORK/server.out" || fail "the banner names another database"
say "ok: the database is /data/netspace-mock.db in the volume ($tables tables, owned by uid $UID_EXPECTED)"

if [ "$MODE" = podman ]; then
  "${PODMAN[@]}" stop --time 20 "$CONTAINER" >/dev/null 2>>"$WORK/podman.log"
  code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$CONTAINER")
else
  kill -TERM "$(server_pid)"
  code=0
  wait "$SERVER_PID" || code=$?
  SERVER_PID=
fi
[ "$code" = 0 ] || fail "the server exited $code on SIGTERM"
server_log >"$WORK/server.out"
grep -q "shutting down" "$WORK/server.out" || fail "the server did not shut down on SIGTERM"
say "ok: SIGTERM stops the server cleanly (exit 0)"
say "passed ($MODE mode)"
