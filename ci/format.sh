#!/usr/bin/env bash
# Applies .clang-format to every tracked C file (generated files excepted), or
# with --check fails listing the files that differ.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^lib/src/ft_key_facts.c$')
if [ "${1:-}" = "--check" ]; then
    bad=0
    for f in "${files[@]}"; do
        clang-format --style=file "$f" | cmp -s - "$f" || { echo "not formatted: $f"; bad=1; }
    done
    exit $bad
fi
clang-format -i --style=file "${files[@]}"
