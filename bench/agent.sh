#!/usr/bin/env bash
# The agent: time from an API write (the PATCH kubectl apply sends for an
# EndpointSlice) to the datapath serving the change, over BENCH_CHANGES
# changes; and the agent's own event-to-map-write histogram in the same run.
#
# Everything runs in a network namespace this script makes (the test API
# server, the agent, its bpffs under a private directory); all of it goes at
# the end, also on error.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_CHANGES:-60}
RESULTS_MD=$ROOT/bench/RESULTS.md
RESULTS_JSON=$ROOT/bench/results.json
WORK=$(mktemp -d /tmp/xcni-bench-agent.XXXXXX)
NS=xcnib$$
NSX="nsenter --net=/run/netns/$NS"
BPF_ROOT=$WORK/bpffs
PORT=9471
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	$NSX "$ROOT/build/xcni-agent" --cleanup --bpffs-root "$BPF_ROOT" \
		--node-state-file "$WORK/node.json" >/dev/null 2>&1 || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add xn0 type veth peer name xw0
ip -n "$NS" addr add 192.0.2.11/24 dev xn0
ip -n "$NS" link set xn0 up
ip -n "$NS" link set xw0 up

$NSX python3 "$ROOT/tests/apiserver/apiserver.py" --state-dir "$WORK/api" --port 0 \
	>"$WORK/api.out" 2>"$WORK/api.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^READY' "$WORK/api.out" 2>/dev/null && break; sleep 0.1; done
API="https://127.0.0.1:$(sed -n 's/^READY port=//p' "$WORK/api.out")"
TOKEN=$(cat "$WORK/api/token")

api() { # METHOD PATH [CONTENT-TYPE BODY]
	$NSX curl -sf --cacert "$WORK/api/ca.crt" -H "Authorization: Bearer $TOKEN" -X "$1" \
		${3:+-H "Content-Type: $3" -d "$4"} "$API$2" >/dev/null
}

api POST /api/v1/nodes application/json \
	'{"metadata":{"name":"node-a"},"spec":{"podCIDR":"10.244.1.0/24"},
	  "status":{"addresses":[{"type":"InternalIP","address":"192.0.2.11"}]}}'
api POST /api/v1/namespaces/default/services application/json \
	'{"metadata":{"name":"web"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}'
api POST /apis/discovery.k8s.io/v1/namespaces/default/endpointslices application/json \
	'{"metadata":{"name":"web-1","labels":{"kubernetes.io/service-name":"web"}},
	  "addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],
	  "endpoints":[{"addresses":["10.244.1.2"],"conditions":{"ready":true}}]}'

$NSX "$ROOT/build/xcni-agent" --node-name node-a --kubeconfig "$WORK/api/kubeconfig" \
	--bpffs-root "$BPF_ROOT" --devices xn0 --node-state-file "$WORK/node.json" \
	--metrics-address "127.0.0.1:$PORT" --log-level warn 2>"$WORK/agent.log" &
pids+=($!)
AGENT_PID=$!
for _ in $(seq 1 100); do
	[ "$($NSX curl -s "http://127.0.0.1:$PORT/readyz")" = ok ] && break
	sleep 0.1
done

backends() {
	$NSX "$ROOT/build/xcnictl" --bpffs-root "$BPF_ROOT" -o json backends
}

# Each change: the slice's one endpoint becomes a new address; the time is
# from just before the PATCH is sent to the first poll that finds the new
# backend in the map (the poll itself takes a few ms: it bounds the figure
# from above).
: >"$WORK/samples"
for i in $(seq 1 "$N"); do
	ip="10.244.$((1 + i / 250)).$((2 + i % 250))"
	t0=$(date +%s%N)
	api PATCH /apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1 \
		application/merge-patch+json \
		"{\"endpoints\":[{\"addresses\":[\"$ip\"],\"conditions\":{\"ready\":true}}]}"
	until backends | grep -q "\"$ip:8080\""; do :; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$WORK/samples"
done
poll_us=$( { t0=$(date +%s%N); backends >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); })
patch_us=$( { t0=$(date +%s%N); api GET /apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000)); })
$NSX curl -s "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics"
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")

PYTHONPATH=$ROOT/bench python3 - "$WORK/samples" "$WORK/metrics" "$RESULTS_MD" "$RESULTS_JSON" \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$poll_us" "$patch_us" "$rss_kb" "$N" <<'PY'
import sys
from results import markers, merge_json, write_section

samples_path, metrics_path, md, js, date, poll_us, req_us, rss_kb, n = sys.argv[1:]
s = sorted(int(x) / 1000.0 for x in open(samples_path).read().split())
def pct(p):
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]
hist_sum = hist_count = 0.0
for line in open(metrics_path):
    if line.startswith("xcni_event_to_map_seconds_sum"):
        hist_sum = float(line.split()[1])
    elif line.startswith("xcni_event_to_map_seconds_count"):
        hist_count = float(line.split()[1])
ev_ms = 1000.0 * hist_sum / hist_count if hist_count else 0.0
p50, p99 = pct(50), pct(99)
vals = {
    "apply_to_serving_p50_ms": round(p50, 3),
    "apply_to_serving_p99_ms": round(p99, 3),
    "agent_event_to_map_mean_ms": round(ev_ms, 3),
    "agent_rss_mb_small": round(int(rss_kb) / 1024.0, 1),
}
merge_json(js, vals, "bench/agent.sh")
begin, end = markers("agent")
section = f"""{begin}
## Agent: API write to datapath serving

- Date: {date}
- Command: `make bench` (runs `bench/agent.sh`; `BENCH_CHANGES` sets the count, {n} here).
- Setup: the test API server and `xcni-agent` in a private network namespace; one Service, one
  EndpointSlice. Each change is the merge PATCH `kubectl apply` sends for a v1 EndpointSlice
  (sent with curl, the same request), replacing the slice's endpoint with a new address. Timed
  from just before the PATCH leaves to the first `xcnictl backends` poll that finds the new
  backend in the pinned map; one poll costs ~{int(poll_us)/1000:.1f} ms and one API request
  ~{int(req_us)/1000:.1f} ms (TLS), both inside every sample.

| changes | p50 ms | p99 ms | min ms | max ms | agent event-to-map mean ms |
|---:|---:|---:|---:|---:|---:|
| {len(s)} | {p50:.2f} | {p99:.2f} | {s[0]:.2f} | {s[-1]:.2f} | {ev_ms:.3f} |

Goal: p99 at most 50 ms. **{'Met' if p99 <= 50 else 'Not met'}** (`apply_to_serving_p99_ms`).
Agent RSS after the run: {int(rss_kb)/1024:.1f} MB (`agent_rss_mb_small`; the 10,000-service
figures of the issue are not measured yet).
{end}"""
write_section(md, "agent", section)
print(f"bench/agent.sh: p50 {p50:.2f} ms, p99 {p99:.2f} ms, event-to-map mean {ev_ms:.3f} ms")
PY
