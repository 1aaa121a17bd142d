#!/usr/bin/env bash
# Lint as TAP: clang-format (kernel style, .clang-format) and cppcheck over
# every C file in the tree.
set -uo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }

echo "1..2"
bad=$(for f in $files; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -z "$bad" ]; then ok "clang-format"; else
	notok "clang-format"
	echo "$bad" | sed 's/^/# needs make format: /'
fi

out=$(cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
	--inline-suppr --suppress=missingIncludeSystem -D__x86_64__ -Ilib -Iinclude -Icni \
	--include=tests/cppcheck.h --suppress=arithOperationsOnVoidPointer \
	$(echo "$files" | grep '\.c$') 2>&1)
if [ $? -eq 0 ]; then ok "cppcheck"; else
	notok "cppcheck"
	echo "$out" | sed 's/^/# /'
fi
