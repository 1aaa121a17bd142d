#!/usr/bin/env bash
# Runs every test layer (lint, unit, datapath, apiserver, fuzz, e2e, or the
# ones named), as TAP,
# and ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

layers=("$@")
[ ${#layers[@]} -gt 0 ] || layers=(lint unit datapath apiserver fuzz e2e)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
crashed=0

# Each cmocka program matching $1; cmocka prints TAP with this set, and a
# crash shows as a bad exit.
run_cmocka() {
	local t rc=0
	for t in $1; do
		[ -x "$t" ] || continue
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" || rc=1
	done
	return $rc
}

run_layer() {
	echo "== $1"
	case "$1" in
	lint) tests/lint.sh ;;
	unit) run_cmocka 'build/tests/test_*' ;;
	datapath) run_cmocka 'build/tests/dp_test_*' ;;
	apiserver) python3 tests/apiserver/test_apiserver.py --tap ;;
	fuzz) tests/fuzz/run.sh ;;
	e2e) bats --tap tests/e2e ;;
	*) echo "unknown layer $1" >&2; return 2 ;;
	esac
}

for layer in "${layers[@]}"; do
	run_layer "$layer" 2>&1 | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$log"; then
		echo "not ok - layer $layer exited $rc without a failing test" | tee -a "$log"
		crashed=1
	fi
done

skipped=$(grep -cE '^ok .*# (skip|SKIP)' "$log")
passed=$(($(grep -c '^ok ' "$log") - skipped))
failed=$(grep -c '^not ok' "$log")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$crashed" -eq 0 ]
