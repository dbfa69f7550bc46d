#!/bin/sh
# cli_expect.sh EXIT REGEX CMD [ARGS...]: runs CMD, passes when it exits with EXIT
# and its combined output matches the extended regex REGEX. Prints both on failure.
want=$1 regex=$2
shift 2
out=$("$@" 2>&1)
got=$?
if [ "$got" -ne "$want" ]; then
    printf 'exit status %s, want %s\n%s\n' "$got" "$want" "$out"
    exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
    printf 'output does not match /%s/:\n%s\n' "$regex" "$out"
    exit 1
fi
exit 0
