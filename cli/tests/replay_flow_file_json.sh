#!/bin/sh
# Writes the JSON of `sgxref check --flow-file F --json OUT` (an UNSAFE entry) and hands
# it to `sgxref replay`, which must refuse it: the file's flow is not the driver's
# (cli/CMakeLists.txt checks the status and the message with expect.sh).
sgxref="$1"
flow="$2"
out="$3"
"$sgxref" check --flow-file "$flow" --json "$out" >/dev/null 2>&1
[ "$?" -eq 1 ] || exit 9
exec "$sgxref" replay "$out"
