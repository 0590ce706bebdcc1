#!/bin/sh
# Runs `sgxref replay FILE --entry 0 --brief --json OUT` and prints, one per line, what the
# JSON says of the entry's replay: whether the driver showed the property, which driver,
# how many steps the plan has and the third step's thread and point (cli/CMakeLists.txt
# checks them with expect.sh). Debian's Python reads the JSON.
sgxref="$1"
cex="$2"
out="$3"
"$sgxref" replay "$cex" --entry 0 --brief --json "$out" >/dev/null 2>&1 || exit 1
/usr/bin/python3 - "$out" <<'PY'
import json
import sys

(replay,) = json.load(open(sys.argv[1]))
print("shown" if replay["shown"] else "not shown")
print(replay["driver"])
print(len(replay["steps"]), "steps")
step = replay["steps"][2]
print(step["thread_name"], "from", step["runs_on_from"], "then", step["state"])
PY
