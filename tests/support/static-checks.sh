#!/usr/bin/env bash
# `npm run typecheck` and `npm run lint` at the same time: each keeps one core busy, so on two
# cores they take about as long as the slower one alone. Each one's output is printed whole once
# both have finished (not interleaved), and this fails if either failed.
set -uo pipefail
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm run typecheck >"$out/typecheck" 2>&1 &
typecheck=$!
npm run lint >"$out/lint" 2>&1 &
lint=$!
wait "$typecheck"
typecheck_status=$?
wait "$lint"
lint_status=$?
cat "$out/typecheck" "$out/lint"
if [ "$typecheck_status" -ne 0 ]; then echo "typecheck failed (exit $typecheck_status)" >&2; fi
if [ "$lint_status" -ne 0 ]; then echo "lint failed (exit $lint_status)" >&2; fi
[ "$typecheck_status" -eq 0 ] && [ "$lint_status" -eq 0 ]
