#!/usr/bin/env bash
# The fuzz layer, as TAP: runs the Kubernetes decoder fuzzer for a bounded
# time (FUZZ_SECONDS, default 60) on a copy of its seed corpus, so the repo
# is never written; a crash is reported with its saved input and the
# fuzzer's report.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-60}
bin=build/tests/fuzz_k8s_decode
seeds=tests/fuzz/corpus/k8s_decode
dict=tests/fuzz/k8s_decode.dict
# Crash inputs outlive the run (the temporary corpus does not).
artifacts=build/fuzz-artifacts/k8s_decode/

echo "1..1"
if ! make --no-print-directory -s "$bin" >&2; then
	echo "not ok 1 - fuzz_k8s_decode: the fuzzer does not build (make fuzz-bins)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$seeds" "$work/corpus"
mkdir -p "$artifacts"

"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=8192 \
	-dict="$dict" -artifact_prefix="$artifacts" "$work/corpus" >"$work/log" 2>&1
rc=$?
runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log" | tail -n 1)
if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
	echo "ok 1 - fuzz_k8s_decode: $runs runs, no crash"
	exit 0
fi
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -n 1)
echo "not ok 1 - fuzz_k8s_decode: ${crash:-the fuzzer exited $rc}"
# The report: the sanitizer's stack and the input, not the progress lines.
grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$work/log" | tail -n 80 | sed 's/^/# /'
exit 1
