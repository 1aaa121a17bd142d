#!/usr/bin/env bash
# The agent's memory at scale, quickly: the load of bench/agent_scale.sh
# (BENCH_SERVICES Services with BENCH_ENDPOINTS_PER_SERVICE endpoints each,
# the last service's slice left out) through the test API server, loaded
# once; then the agent is started RSS_RUNS times (default 1) and, after its
# initial sync (/readyz ok) and BENCH_SCALE_CHANGES one-service changes
# (default 25, as agent_scale.sh makes before it reads the RSS), its VmRSS,
# RssAnon and RssFile are printed, one line per run. No connect tests, no
# kube-proxy comparison, no result files.
#
# RSS_DETAIL_DIR=DIR keeps each run's /proc/PID/smaps, smaps_rollup and
# status (run-K.*) and the agent's log there. RSS_WRAPPER="CMD ..." runs the
# agent under CMD (valgrind --tool=massif, heaptrack: for investigation;
# the figures then are the wrapper's). RSS_HOOK="CMD" runs CMD (through
# bash) after each run's figures, before the agent stops, with AGENT_PID
# (the agent's process) and AGENT_NS (its network namespace) exported: a
# debugger or monitor command to look inside.
#
# Namespaces are xrss<pid>-*, the bpffs is /sys/fs/bpf/xcni-rss-<pid>, state
# under /run/xcni-rss/<pid>; all of it goes at the end, also on error.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NSVC=${BENCH_SERVICES:-10000}
EPS=${BENCH_ENDPOINTS_PER_SERVICE:-10}
RUNS=${RSS_RUNS:-1}
CHANGES=${BENCH_SCALE_CHANGES:-25}
DETAIL=${RSS_DETAIL_DIR:-}
read -r -a WRAPPER <<<"${RSS_WRAPPER:-}"
AGENT=$ROOT/build/xcni-agent

die() {
	echo "bench/agent_rss.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
[ -x "$AGENT" ] || die "$AGENT missing: run make all"
[[ $NSVC =~ ^[0-9]+$ && $NSVC -ge 2 && $NSVC -le 60000 ]] || die "BENCH_SERVICES: 2..60000"
[[ $EPS =~ ^[0-9]+$ && $EPS -ge 1 && $EPS -le 100 ]] || die "BENCH_ENDPOINTS_PER_SERVICE: 1..100"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "RSS_RUNS: a positive count"
[[ $CHANGES =~ ^[0-9]+$ ]] || die "BENCH_SCALE_CHANGES: a count"

WORK=/run/xcni-rss/$$
P=xrss$$
NODE=$P-node
BPF_ROOT=/sys/fs/bpf/xcni-rss-$$
MPORT=9473
pids=()

in_ns() { # NAMESPACE COMMAND...
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

stop() { # PID
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$1" 2>/dev/null || true
}

cleanup() {
	local p
	set +e
	for p in "${pids[@]}"; do stop "$p"; done
	if [ -d "$BPF_ROOT" ]; then
		in_ns "$NODE" "$AGENT" --cleanup --bpffs-root "$BPF_ROOT" \
			--node-state-file "$WORK/node.json" >/dev/null 2>&1
		umount "$BPF_ROOT" 2>/dev/null
		rm -rf "$BPF_ROOT"
	fi
	ip netns del "$NODE" 2>/dev/null
	rm -rf "$WORK"
	rmdir /run/xcni-rss 2>/dev/null
}
trap cleanup EXIT

mkdir -p "$WORK"
[ -z "$DETAIL" ] || mkdir -p "$DETAIL"
ip netns add "$NODE"
ip -n "$NODE" link set lo up
ip -n "$NODE" link add xr0 type veth peer name xr1
ip -n "$NODE" addr add 192.0.2.11/24 dev xr0
ip -n "$NODE" link set xr0 up
ip -n "$NODE" link set xr1 up

nsenter --net="/run/netns/$NODE" python3 "$ROOT/tests/apiserver/apiserver.py" \
	--state-dir "$WORK/api" --port 0 >"$WORK/api.out" 2>"$WORK/api.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^READY' "$WORK/api.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY' "$WORK/api.out" || die "the test API server did not start: $(tail -5 "$WORK/api.log")"
API_PORT=$(sed -n 's/^READY port=//p' "$WORK/api.out")
in_ns "$NODE" curl -sf --cacert "$WORK/api/ca.crt" -H "Authorization: Bearer $(cat "$WORK/api/token")" \
	-H 'Content-Type: application/json' -X POST "https://127.0.0.1:$API_PORT/api/v1/nodes" \
	-d '{"metadata":{"name":"node-a"},"spec":{"podCIDR":"10.244.1.0/24"},
	     "status":{"addresses":[{"type":"InternalIP","address":"192.0.2.11"}]}}' >/dev/null
echo "agent_rss: loading $NSVC services, $EPS endpoints each"
PYTHONPATH=$ROOT/bench in_ns "$NODE" python3 "$ROOT/bench/scale_load.py" --state-dir "$WORK/api" \
	--port "$API_PORT" --services "$NSVC" --endpoints "$EPS" --no-last-slice

MAX_BACKENDS=$((NSVC * EPS + NSVC * EPS / 4 + 4096))
for k in $(seq 1 "$RUNS"); do
	nsenter --net="/run/netns/$NODE" "${WRAPPER[@]}" "$AGENT" --node-name node-a \
		--kubeconfig "$WORK/api/kubeconfig" --bpffs-root "$BPF_ROOT" --devices xr0 \
		--node-state-file "$WORK/node.json" --metrics-address "127.0.0.1:$MPORT" \
		--max-backends "$MAX_BACKENDS" --log-level info 2>"$WORK/agent.log" &
	apid=$!
	pids+=($apid)
	t0=$SECONDS
	until [ "$(in_ns "$NODE" curl -s "http://127.0.0.1:$MPORT/readyz")" = ok ]; do
		kill -0 "$apid" 2>/dev/null || die "the agent died: $(tail -5 "$WORK/agent.log")"
		[ $((SECONDS - t0)) -lt 900 ] || die "the agent was not ready within 900 s"
		sleep 0.05
	done
	sync_s=$((SECONDS - t0))
	if [ "$CHANGES" -gt 0 ]; then
		PYTHONPATH=$ROOT/bench in_ns "$NODE" python3 "$ROOT/bench/scale_changes.py" \
			--state-dir "$WORK/api" --port "$API_PORT" --metrics-port "$MPORT" \
			--index $((NSVC / 2)) --endpoints "$EPS" --count "$CHANGES" >/dev/null
	fi
	# The agent's own process: with a wrapper, the last process of the tree.
	pid=$apid
	while c=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null) && [ -n "${c// /}" ]; do
		pid=${c%% *}
	done
	st=/proc/$pid/status
	printf 'agent_rss: run %d: VmRSS %s kB, RssAnon %s kB, RssFile %s kB, sync %d s\n' "$k" \
		"$(awk '/^VmRSS/ {print $2}' "$st")" "$(awk '/^RssAnon/ {print $2}' "$st")" \
		"$(awk '/^RssFile/ {print $2}' "$st")" "$sync_s"
	if [ -n "$DETAIL" ]; then
		cp "/proc/$pid/smaps" "$DETAIL/run-$k.smaps"
		cp "/proc/$pid/smaps_rollup" "$DETAIL/run-$k.smaps_rollup"
		cp "$st" "$DETAIL/run-$k.status"
	fi
	[ -z "${RSS_HOOK:-}" ] || AGENT_PID=$pid AGENT_NS=$NODE bash -c "$RSS_HOOK"
	stop "$apid"
	[ -z "$DETAIL" ] || cp "$WORK/agent.log" "$DETAIL/run-$k.log"
	unset 'pids[-1]'
	# Each run starts from nothing, as bench/agent_scale.sh's agent does.
	in_ns "$NODE" "$AGENT" --cleanup --bpffs-root "$BPF_ROOT" \
		--node-state-file "$WORK/node.json" >/dev/null 2>&1 || true
done
