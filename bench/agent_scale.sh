#!/usr/bin/env bash
# The agent at scale (issue 4): BENCH_SERVICES Services (default 10,000)
# with BENCH_ENDPOINTS_PER_SERVICE endpoints each (default 10) loaded through
# the test API server: the agent's initial sync time, RSS and CPU, and the
# time from one watch event to its map writes; beside kube-proxy's iptables
# mode (iptables-legacy-restore of its nat rules for the same services) doing
# the full and the one-service partial sync. Then TCP connects from a pod to
# the last service's ClusterIP and to a pod IP, through xcni, and through
# the iptables rules in a node of the same topology without xcni's datapath.
#
# Everything runs in network namespaces this script makes (their names start
# with xs<pid>-), the agent's bpffs under a private directory; all of it goes
# at the end, also on error. Writes its section of bench/RESULTS.md and its
# keys in bench/results.json.
#
# Environment: BENCH_SERVICES, BENCH_ENDPOINTS_PER_SERVICE, BENCH_SCALE_CHANGES
# (one-service changes, default 25), BENCH_CONNECT_SECONDS (per round,
# default 5), BENCH_CONNECT_ROUNDS (default 5), BENCH_IPT_PARTIAL_ROUNDS
# (default 3).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NSVC=${BENCH_SERVICES:-10000}
EPS=${BENCH_ENDPOINTS_PER_SERVICE:-10}
CHANGES=${BENCH_SCALE_CHANGES:-25}
CSECS=${BENCH_CONNECT_SECONDS:-5}
ROUNDS=${BENCH_CONNECT_ROUNDS:-5}
PROUNDS=${BENCH_IPT_PARTIAL_ROUNDS:-3}
RESULTS_MD=$ROOT/bench/RESULTS.md
RESULTS_JSON=$ROOT/bench/results.json
AGENT=$ROOT/build/xcni-agent
XCNICTL=$ROOT/build/xcnictl
RATE=$ROOT/build/bench/connect_rate
IPT_RESTORE=iptables-legacy-restore

die() {
	echo "bench/agent_scale.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
for f in "$AGENT" "$XCNICTL" "$ROOT/build/xcni" "$RATE"; do
	[ -x "$f" ] || die "$f missing: run make all bench/connect-rate (make bench builds them)"
done
for t in ip nsenter python3 curl "$IPT_RESTORE"; do
	command -v "$t" >/dev/null || die "$t is required (scripts/install-deps.sh)"
done
[[ $NSVC =~ ^[0-9]+$ && $NSVC -ge 2 && $NSVC -le 60000 ]] || die "BENCH_SERVICES: 2..60000"
[[ $EPS =~ ^[0-9]+$ && $EPS -ge 1 && $EPS -le 100 ]] || die "BENCH_ENDPOINTS_PER_SERVICE: 1..100"

WORK=$(mktemp -d /tmp/xcni-bench-scale.XXXXXX)
P=xs$$
NODE=$P-node
IPT=$P-ipt
BPF_ROOT=$WORK/bpffs
MPORT=9472
pids=()

in_ns() { # NAMESPACE COMMAND...
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

cleanup() {
	local p ns
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	in_ns "$NODE" "$AGENT" --cleanup --bpffs-root "$BPF_ROOT" \
		--node-state-file "$WORK/node.json" >/dev/null 2>&1
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P-"); do ip netns del "$ns"; done
	rm -rf "$WORK"
}
trap cleanup EXIT

now_us() { echo "${EPOCHREALTIME/./}"; }

# A node namespace with a device for xdp_node (its peer beside it).
node_netns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
}
node_netns "$NODE"
ip -n "$NODE" link add xn0 type veth peer name xw0
ip -n "$NODE" addr add 192.0.2.11/24 dev xn0
ip -n "$NODE" link set xn0 up
ip -n "$NODE" link set xw0 up
node_netns "$IPT"

# A pod wired by xcni, run as a runtime does (no cnitool: no result cache
# to clean up): pod NODE CONF NAME; prints the pod's address.
pod() {
	ip netns add "$P-$3"
	CNI_COMMAND=ADD CNI_CONTAINERID="$P-$3" CNI_NETNS="/run/netns/$P-$3" CNI_IFNAME=eth0 \
		CNI_PATH="$ROOT/build" in_ns "$1" "$ROOT/build/xcni" <"$2" >"$WORK/$3.json"
	ip -n "$P-$3" link set lo up
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ips"][0]["address"].split("/")[0])' \
		"$WORK/$3.json"
}

# Background processes are started with nsenter itself (it execs), so $! is
# the process and cleanup stops it.
serve() { # POD: accepts and closes on 8080
	nsenter --net="/run/netns/$P-$1" "$RATE" serve 8080 &
	pids+=($!)
}

# --- The test API server, the Node, the services --------------------------
nsenter --net="/run/netns/$NODE" python3 "$ROOT/tests/apiserver/apiserver.py" --state-dir "$WORK/api" --port 0 \
	>"$WORK/api.out" 2>"$WORK/api.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^READY' "$WORK/api.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY' "$WORK/api.out" || die "the test API server did not start: $(tail -5 "$WORK/api.log")"
API_PORT=$(sed -n 's/^READY port=//p' "$WORK/api.out")
in_ns "$NODE" curl -sf --cacert "$WORK/api/ca.crt" -H "Authorization: Bearer $(cat "$WORK/api/token")" \
	-H 'Content-Type: application/json' -X POST "https://127.0.0.1:$API_PORT/api/v1/nodes" \
	-d '{"metadata":{"name":"node-a"},"spec":{"podCIDR":"10.244.1.0/24"},
	     "status":{"addresses":[{"type":"InternalIP","address":"192.0.2.11"}]}}' >/dev/null

load() {
	PYTHONPATH=$ROOT/bench in_ns "$NODE" python3 "$ROOT/bench/scale_load.py" \
		--state-dir "$WORK/api" --port "$API_PORT" --services "$NSVC" --endpoints "$EPS" "$@"
}
echo "agent_scale: loading $NSVC services, $EPS endpoints each"
LOADED=$(load --no-last-slice)
echo "agent_scale: $LOADED"

# --- The agent's initial sync ----------------------------------------------
# Backends: one per endpoint address, plus room (the default 65536 is too
# small for 100,000 endpoints).
MAX_BACKENDS=$((NSVC * EPS + NSVC * EPS / 4 + 4096))
t0=$(now_us)
nsenter --net="/run/netns/$NODE" "$AGENT" --node-name node-a --kubeconfig "$WORK/api/kubeconfig" \
	--bpffs-root "$BPF_ROOT" --devices xn0 --node-state-file "$WORK/node.json" \
	--metrics-address "127.0.0.1:$MPORT" --max-backends "$MAX_BACKENDS" --log-level info \
	2>"$WORK/agent.log" &
AGENT_PID=$!
pids+=($AGENT_PID)
until [ "$(in_ns "$NODE" curl -s "http://127.0.0.1:$MPORT/readyz")" = ok ]; do
	kill -0 "$AGENT_PID" 2>/dev/null || die "the agent died: $(tail -5 "$WORK/agent.log")"
	[ $(($(now_us) - t0)) -lt 600000000 ] || die "the agent was not ready within 600 s"
	sleep 0.01
done
t1=$(now_us)
SYNC_MS=$(((t1 - t0) / 1000))
CPU_TICKS=$(awk '{print $14 + $15}' "/proc/$AGENT_PID/stat")
CLK_TCK=$(getconf CLK_TCK)
metrics() { in_ns "$NODE" curl -s "http://127.0.0.1:$MPORT/metrics"; }
FULL_SYNC_S=$(metrics | awk '$1 == "xcni_full_sync_seconds" {print $2}')
SVC_ENTRIES=$(metrics | awk '$1 == "xcni_map_entries{map=\"services\"}" {print $2}')
[ "$SVC_ENTRIES" = "$NSVC" ] || die "after the sync the services map holds $SVC_ENTRIES, expected $NSVC"
echo "agent_scale: agent ready after $SYNC_MS ms (full sync ${FULL_SYNC_S} s)"

# --- One-service changes ---------------------------------------------------
PYTHONPATH=$ROOT/bench in_ns "$NODE" python3 "$ROOT/bench/scale_changes.py" \
	--state-dir "$WORK/api" --port "$API_PORT" --metrics-port "$MPORT" \
	--index $((NSVC / 2)) --endpoints "$EPS" --count "$CHANGES" >"$WORK/changes"
RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
RSS_ANON_KB=$(awk '/^RssAnon/ {print $2}' "/proc/$AGENT_PID/status")

# --- kube-proxy's iptables mode: full and partial syncs --------------------
# Pods in the iptables node first: the last service's endpoint is its server.
cat >"$WORK/plain.conf" <<CONF
{"cniVersion":"1.0.0","name":"plain","type":"xcni","ipam":{"subnet":"10.244.2.0/24","dataDir":"$WORK/ipam-ipt"}}
CONF
ISRV=$(pod "$IPT" "$WORK/plain.conf" isrv)
pod "$IPT" "$WORK/plain.conf" icli >/dev/null
serve isrv
python3 "$ROOT/bench/kube_proxy_rules.py" full "$NSVC" "$EPS" --last-endpoint "$ISRV" \
	>"$WORK/full.rules"
IPT_RULES=$(grep -c '^-A' "$WORK/full.rules")
t0=$(now_us)
in_ns "$IPT" "$IPT_RESTORE" <"$WORK/full.rules"
IPT_FULL_MS=$((($(now_us) - t0) / 1000))
: >"$WORK/ipt_partial"
for k in $(seq 1 "$PROUNDS"); do
	python3 "$ROOT/bench/kube_proxy_rules.py" partial "$NSVC" "$EPS" $((NSVC / 2 - k)) \
		"10.201.0.$k" >"$WORK/partial.rules"
	t0=$(now_us)
	in_ns "$IPT" "$IPT_RESTORE" --noflush <"$WORK/partial.rules"
	echo $((($(now_us) - t0) / 1000)) >>"$WORK/ipt_partial"
done
in_ns "$IPT" iptables-legacy-save -t nat >"$WORK/nat.saved"
grep -q -- "--to-destination 10.201.0.1:8080" "$WORK/nat.saved" || die "the partial sync did not land"
echo "agent_scale: iptables-legacy full restore $IPT_FULL_MS ms ($IPT_RULES rules)"

# --- Pods on the xcni node, the last service's backend ---------------------
cat >"$WORK/k8s.conf" <<CONF
{"cniVersion":"1.0.0","name":"k8s","type":"xcni","nodeStateFile":"$WORK/node.json","ipam":{"dataDir":"$WORK/ipam"}}
CONF
XSRV=$(pod "$NODE" "$WORK/k8s.conf" xsrv)
pod "$NODE" "$WORK/k8s.conf" xcli >/dev/null
serve xsrv
load --only-last --last-endpoint "$XSRV" >/dev/null
VIP=$(PYTHONPATH=$ROOT/bench python3 -c "import sys; from scale_load import cluster_ip; print(cluster_ip(int(sys.argv[1]) - 1))" "$NSVC")
for i in $(seq 1 500); do
	got=$(in_ns "$NODE" "$XCNICTL" --bpffs-root "$BPF_ROOT" -o json backends)
	[[ $got == *"\"$XSRV:8080\""* ]] && break
	sleep 0.02
done
[ "$i" -lt 500 ] || die "the last service's backend $XSRV never reached the datapath"

# --- Connect rates, rounds interleaved -------------------------------------
# Each target its own local ports (see bench/connect_rate.c).
rate() { # POD IP PORT LO HI
	local out
	out=$(in_ns "$P-$1" "$RATE" "$2" "$3" "$CSECS" "$4" "$5") || die "connects to $2:$3 failed"
	[[ $out == "connects_per_s "* ]] || die "connect_rate to $2:$3: $out"
	echo "$out" | awk '{print $2}'
}
: >"$WORK/rates"
echo "agent_scale: connect rates, $ROUNDS rounds of $CSECS s per target"
for r in $(seq 1 "$ROUNDS"); do
	echo "xcni_vip $(rate xcli "$VIP" 80 20000 39999)" >>"$WORK/rates"
	echo "xcni_pod $(rate xcli "$XSRV" 8080 40000 59999)" >>"$WORK/rates"
	echo "ipt_vip $(rate icli "$VIP" 80 20000 39999)" >>"$WORK/rates"
	echo "ipt_pod $(rate icli "$ISRV" 8080 40000 59999)" >>"$WORK/rates"
done

# --- Figures ---------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
PYTHONPATH=$ROOT/bench python3 - "$WORK" "$RESULTS_MD" "$RESULTS_JSON" \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$NSVC" "$EPS" "$LOADED" "$SYNC_MS" "$FULL_SYNC_S" \
	"$CPU_TICKS" "$CLK_TCK" "$RSS_KB" "$RSS_ANON_KB" "$IPT_FULL_MS" "$IPT_RULES" "$CSECS" \
	"$VIP" "$(nproc)" "$(uname -r)" "${cpu:-unknown}" "$(cut -d" " -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys
from results import markers, merge_json, write_section

(work, md, js, date, nsvc, eps, loaded, sync_ms, full_sync_s, ticks, clk, rss_kb, anon_kb,
 ipt_full_ms, ipt_rules, csecs, vip, nproc, kernel, cpu, load) = sys.argv[1:]
nsvc, eps, ipt_rules = int(nsvc), int(eps), int(ipt_rules)
ev, wall = [], []
for line in open(f"{work}/changes"):
    f = line.split()
    ev.append(float(f[3]) / 1000.0)
    wall.append(float(f[5]) / 1000.0)
partial = [int(x) for x in open(f"{work}/ipt_partial").read().split()]
rates = {}
for line in open(f"{work}/rates"):
    k, v = line.split()
    rates.setdefault(k, []).append(float(v))
med = {k: statistics.median(v) for k, v in rates.items()}
one_ms = statistics.median(ev)
ipt_partial_ms = statistics.median(partial)
cpu_s = int(ticks) / int(clk)
rss_mb = int(rss_kb) / 1024.0
r3 = lambda x: round(x, 3)
vals = {
    "agent_rss_mb_10k": round(rss_mb, 1),
    "agent_cpu_s_10k": round(cpu_s, 2),
    "initial_sync_ms_10k": int(sync_ms),
    "one_change_ms_10k": r3(one_ms),
    "iptables_partial_sync_ms_10k": ipt_partial_ms,
    "iptables_full_sync_ms_10k": int(ipt_full_ms),
    "connect_per_s_10k": round(med["xcni_vip"]),
    "iptables_connect_per_s_10k": round(med["ipt_vip"]),
    "pod_ip_connect_per_s": round(med["xcni_pod"]),
}
merge_json(js, vals, "bench/agent_scale.sh")

speedup = ipt_partial_ms / one_ms if one_ms else 0.0
vs_ipt = med["xcni_vip"] / med["ipt_vip"]
vs_pod = med["xcni_pod"] / med["xcni_vip"]
goals = [
    ("agent RSS at most 30 MB", rss_mb <= 30, f"{rss_mb:.1f} MB"),
    ("one change at most 1 ms", one_ms <= 1.0, f"{one_ms:.3f} ms"),
    ("one change at least 500x faster than iptables' partial sync", speedup >= 500,
     f"{speedup:.0f}x"),
    ("connects to the last ClusterIP at least 3x iptables-legacy", vs_ipt >= 3,
     f"{vs_ipt:.2f}x"),
    ("connects to the last ClusterIP within 1.1x of the pod IP", vs_pod <= 1.1,
     f"pod IP / ClusterIP {vs_pod:.3f}"),
]
def rs(k):
    return " / ".join(f"{v:.0f}" for v in rates[k])
goal_rows = "\n".join(f"| {g} | {got} | **{'met' if ok else 'not met'}** |"
                      for g, ok, got in goals)
scale = "" if (nsvc, eps) == (10000, 10) else \
    f"\n**Shrunk run** (BENCH_SERVICES={nsvc}, BENCH_ENDPOINTS_PER_SERVICE={eps}): the `_10k` keys " \
    "hold this run's figures, not the issue's scale.\n"
begin, end = markers("agent-scale")
section = f"""{begin}
## Agent at scale: {nsvc:,} Services, {eps} endpoints each, beside kube-proxy iptables-legacy

- Date: {date}; {nproc} CPUs ({cpu}), kernel {kernel}; load average before the figures: {load}
- Command: `make bench` (runs `bench/agent_scale.sh` after `bench/agent.sh`);
  `BENCH_SERVICES` / `BENCH_ENDPOINTS_PER_SERVICE` shrink it.
- Setup: the test API server and `xcni-agent` in a private node namespace (bpffs in a private
  directory). `bench/scale_load.py` POSTs every Service (ClusterIP given, port 80 -> 8080) and
  one EndpointSlice per Service ({eps} ready endpoints, distinct addresses) through the real API
  over one kept-alive TLS connection ({loaded}); the last Service's slice holds one endpoint, a
  real server pod, and is posted once the pods exist. The agent starts after the load
  (`--max-backends` raised: the default 65,536 is below 100,000 endpoints).
- Initial sync: from the agent's start to `/readyz` answering ok (services and slices listed,
  the full sync applied), polled every 10 ms; the agent's own figure for the full sync alone is
  `xcni_full_sync_seconds`. CPU is the agent's utime+stime at that moment; RSS is VmRSS after
  the changes below.
- One change: {len(ev)} merge PATCHes of service {nsvc // 2}'s slice, each replacing one endpoint;
  per change, the growth of the agent's `xcni_event_to_map_seconds_sum` (watch event decoded
  to its map writes done); the wall figure adds the PATCH round trip and /metrics polling.
- kube-proxy: `bench/kube_proxy_rules.py` writes the nat rules kube-proxy 1.28+ writes for the
  same services and endpoints (KUBE-SERVICES jump, KUBE-SVC chain with a masquerade mark and one
  `statistic --probability` jump per endpoint, a KUBE-SEP chain per endpoint with hairpin mark
  and DNAT: {ipt_rules:,} rules), `iptables-legacy-restore` in a separate node namespace: full
  sync, then {len(partial)} partial syncs (`--noflush`: one service's chains changed, KUBE-SERVICES
  rewritten whole, the stale KUBE-SEP deleted), as kube-proxy >= 1.28 does.
- Connects: `build/bench/connect_rate` (connect, close with RST, in a loop for {csecs} s; local
  ports 20000-39999 for the ClusterIP, 40000-59999 for the pod IP) from a client pod to the last service's ClusterIP {vip}:80 and to the server pod's IP; both pods
  wired by xcni with enrollment. The same client and server pods, wired by xcni without
  enrollment (kernel forwarding, the same veth topology), in the iptables node for the
  iptables-legacy figures. Rounds interleaved, median reported. The port ranges keep the targets
  apart, so neither reuses the other's closed flows. (This benchmark found that a direct
  connect reusing the tuple of a closed ClusterIP flow's reply had its SYN-ACK rewritten to the
  ClusterIP; a SYN now replaces such a closing flow, as netfilter does.)
- Other benchmarks may share the machine's 2 CPUs: the iptables connect rate moved between 4,000
  and 9,000/s across runs, xcni's between 18,000 and 28,000/s.

| figure | xcni | kube-proxy iptables-legacy |
|---|---:|---:|
| initial sync (start to serving), ms | {int(sync_ms)} (full sync alone {float(full_sync_s) * 1000:.0f}) | full restore {int(ipt_full_ms)} |
| one change, ms (median; min / max) | {one_ms:.3f} ({min(ev):.3f} / {max(ev):.3f}) | partial restore {ipt_partial_ms} ({" / ".join(map(str, partial))}) |
| one change, wall incl. PATCH and polling, ms (median) | {statistics.median(wall):.2f} | |
| agent CPU during list + sync, s | {cpu_s:.2f} | |
| agent RSS after sync, MB (anonymous part) | {rss_mb:.1f} ({int(anon_kb) / 1024:.1f}) | |
| connects/s to the last ClusterIP (rounds) | {med['xcni_vip']:.0f} ({rs('xcni_vip')}) | {med['ipt_vip']:.0f} ({rs('ipt_vip')}) |
| connects/s to the server pod IP (rounds) | {med['xcni_pod']:.0f} ({rs('xcni_pod')}) | {med['ipt_pod']:.0f} ({rs('ipt_pod')}) |
{scale}
| goal | measured | |
|---|---|---|
{goal_rows}
{end}"""
write_section(md, "agent-scale", section)
print(f"bench/agent_scale.sh: " + ", ".join(f"{k} {v}" for k, v in vals.items()))
PY
