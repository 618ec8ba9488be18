#!/usr/bin/env bash
# auryn.sh - runs one of Auryn's own benchmark programs for perf/run --peers and prints
# 'RESULT {json}' with t_sim and t_build (seconds). Auryn is not part of Hebb: build it
# yourself and point AURYN_DIR at its build directory (the one holding examples/).
#
#   AURYN_DIR=~/auryn/build/release perf/peers/auryn_b1.sh --threads 2 --T 10
#
# Auryn runs MPI ranks, not threads: --threads N becomes `mpirun -n N`. Auryn reports its
# wall time in whole seconds only, so each case runs twice, for 0 s and for T, and the
# simulation time is the difference of the two wall times (the network build is the same);
# t_build is the wall time of the 0 s run. Auryn's --fast turns its spike output off, so no
# rates are reported.
set -euo pipefail
prog=$1
shift
threads=1
T=1
extra=()
while [ $# -gt 0 ]; do
  case $1 in
  --threads) threads=$2; shift 2 ;;
  --T) T=$2; shift 2 ;;
  *) extra+=("$1"); shift ;;
  esac
done
: "${AURYN_DIR:?set AURYN_DIR to an Auryn build directory (the one holding examples/)}"
bin=$AURYN_DIR/examples/$prog
[ -x "$bin" ] || { echo "auryn.sh: no $bin (make $prog in $AURYN_DIR)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # run SIMTIME: wall seconds
  local t0 t1
  t0=$(date +%s.%N)
  if [ "$threads" -gt 1 ]; then
    (cd "$work" && mpirun --allow-run-as-root --oversubscribe -n "$threads" "$bin" \
      --simtime "$1" --dir "$work" "${extra[@]}" > "$work/log" 2>&1)
  else
    (cd "$work" && "$bin" --simtime "$1" --dir "$work" "${extra[@]}" > "$work/log" 2>&1)
  fi
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
build=$(run 0)
full=$(run "$T")
printf 'RESULT {"t_sim": %.6f, "t_build": %.6f, "ranks": %d}\n' \
  "$(echo "$full - $build" | bc -l)" "$build" "$threads"
