#!/bin/sh
# Runs a command and checks its exit status and what it printed; cli/CMakeLists.txt
# registers each sgxref command-line rule as one call of this script.
#
#   sh expect.sh --status N [--stdout ERE] [--stderr ERE] [--no-stdout ERE]
#                [--no-stderr ERE] ... -- COMMAND [ARG...]
#
# --stdout/--stderr: some line of that stream must match the extended regular
# expression; --no-stdout/--no-stderr: no line may. Each may be given more than once.
# Exits 0 when every check holds; otherwise prints what failed, the command, its status
# and both streams, and exits 1. A COMMAND that is not installed (prlimit, say) fails
# with its name rather than as a status mismatch.
set -u

me=expect.sh
want_status=
checks=$(mktemp) || exit 1
out=$(mktemp) || exit 1
err=$(mktemp) || exit 1
trap 'rm -f "$checks" "$out" "$err"' EXIT

while [ $# -gt 0 ]; do
  case $1 in
    --status)
      [ $# -ge 2 ] || { echo "$me: --status needs a value" >&2; exit 1; }
      want_status=$2; shift 2 ;;
    --stdout|--stderr|--no-stdout|--no-stderr)
      [ $# -ge 2 ] || { echo "$me: $1 needs a pattern" >&2; exit 1; }
      printf '%s\n%s\n' "$1" "$2" >>"$checks"; shift 2 ;;
    --) shift; break ;;
    *) echo "$me: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
[ -n "$want_status" ] || { echo "$me: --status is required" >&2; exit 1; }
[ $# -gt 0 ] || { echo "$me: no command after --" >&2; exit 1; }
if ! command -v "$1" >/dev/null 2>&1; then
  echo "$me: FAIL: '$1' is not installed or not executable" >&2
  [ "$1" = prlimit ] && echo "$me: prlimit comes with util-linux (Debian: util-linux)" >&2
  exit 1
fi

"$@" >"$out" 2>"$err"
status=$?

failed=0
fail() {
  echo "$me: FAIL: $*" >&2
  failed=1
}
[ "$status" = "$want_status" ] || fail "exit status $status, want $want_status"
while IFS= read -r kind && IFS= read -r re; do
  case $kind in
    --stdout) grep -Eq -e "$re" "$out" || fail "no line of stdout matches: $re" ;;
    --stderr) grep -Eq -e "$re" "$err" || fail "no line of stderr matches: $re" ;;
    --no-stdout) ! grep -Eq -e "$re" "$out" || fail "a line of stdout matches: $re" ;;
    --no-stderr) ! grep -Eq -e "$re" "$err" || fail "a line of stderr matches: $re" ;;
  esac
done <"$checks"

if [ "$failed" -ne 0 ]; then
  echo "--- command: $*" >&2
  echo "--- exit status: $status" >&2
  echo "--- stdout:" >&2
  cat "$out" >&2
  echo "--- stderr:" >&2
  cat "$err" >&2
  exit 1
fi
echo "$me: ok: exit status $status: $*"
exit 0
