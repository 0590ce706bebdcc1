#!/bin/sh
# Runs `sgxref check --json FILE` on one bug switch and prints, one per line, what the
# JSON says: the entry's verdict, its property and the last step's scheduling point
# (cli/CMakeLists.txt checks them with expect.sh). Debian's Python reads the JSON.
sgxref="$1"
out="$2"
"$sgxref" check --flows restrict --variant bug.restrict-skips-etrack --json "$out" >/dev/null 2>&1 || exit 1
/usr/bin/python3 - "$out" <<'PY'
import json
import sys

entry = json.load(open(sys.argv[1]))["entries"][0]
print(entry["verdict"])
print(entry["property"])
print(entry["counterexample"]["steps"][-1]["point"])
PY
