#!/bin/sh
# `sgxref selftest --seed 0` runs with seed 0, not the default: 0 is a seed like any other,
# not "unset". The self-check's header line names the seed the machine was built with;
# the header of a --seed 0 run must say 0x0 and differ from the default run's.
#
#   sh seed_zero_is_used.sh SGXREF
set -u
[ $# -eq 1 ] || { echo "usage: seed_zero_is_used.sh SGXREF" >&2; exit 1; }
sgxref=$1
header() {
  out=$("$sgxref" selftest --epc-pages 64 "$@") || {
    echo "FAIL: sgxref selftest --epc-pages 64 $* exited $?" >&2
    printf '%s\n' "$out" >&2
    exit 1
  }
  printf '%s\n' "$out" | grep -E '^emulator self-check: ' | head -n 1
}
default=$(header) || exit 1
zero=$(header --seed 0) || exit 1
echo "default run: $default"
echo "--seed 0:    $zero"
case $zero in
  *", seed 0x0") ;;
  *) echo "FAIL: the --seed 0 run's header does not end in 'seed 0x0'" >&2; exit 1 ;;
esac
case $default in
  *", seed 0x"*) ;;
  *) echo "FAIL: the default run's header names no seed" >&2; exit 1 ;;
esac
[ "$default" != "$zero" ] || { echo "FAIL: --seed 0 ran with the default seed" >&2; exit 1; }
echo "ok: --seed 0 used seed 0, not the default"
