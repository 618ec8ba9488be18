#!/usr/bin/env bash
# Reward-modulated STDP end to end, open loop: examples/reward_stdp_schedule.yaml (one neuron,
# 100 stdp_dopamine synapses; synapse 0 is paired 5 to 10 ms before a forced postsynaptic spike
# 49 times, each pairing followed by a reward 1 s later) runs its 100 s, and at 100 s
# `hebb weights` must show
#   - synapse 0 (projection 'rewarded', from 20 pA; Wmax 60 pA) at 40 pA or more,
#   - and at least 15 pA above the mean of the other 99 (projection 'random'),
#   - whose mean stays within 15 to 26 pA (20 pA at the start).
# A control run of the same file with the drive's weight set to 0 (no pairings, the same
# rewards) must not show the 15 pA margin: the growth comes from pairings followed by rewards.
#
# Margins: over the file's seed and --seed 2 to 16, synapse 0 ended 46.6 to 60 pA, 24.6 to
# 39.6 pA above the others' mean (19.7 to 23.8 pA); in the control it ended 6.6 pA below to
# 8.0 pA above their mean. This test runs the file's seed only (the run is deterministic).
. "$(dirname "$0")/lib.sh"

EX=$SRC/examples/reward_stdp_schedule.yaml
sed 's/^    weight: 3000 pA$/    weight: 0 pA/' "$EX" > "$WORK/control.yaml"
check "the control silences the drive" grep -qx '    weight: 0 pA' "$WORK/control.yaml"

# the two runs side by side (each is one thread)
"$HEBB" run "$EX" -o "$WORK/run" > "$WORK/run.log" 2>&1 &
run_pid=$!
"$HEBB" run "$WORK/control.yaml" -o "$WORK/control" > "$WORK/control.log" 2>&1 &
control_pid=$!
wait $run_pid
run_rc=$?
wait $control_pid
control_rc=$?
check "hebb run examples/reward_stdp_schedule.yaml exits 0" test $run_rc -eq 0
check "the control run exits 0" test $control_rc -eq 0
if [ $run_rc -ne 0 ] || [ $control_rc -ne 0 ]; then
  cat "$WORK/run.log" "$WORK/control.log"
  finish
  exit 1
fi
grep -E 'simulated|neuron ' "$WORK/run.log"

# "TIME W0 MEAN SD MAX N": the last snapshot of DIR, synapse 0 and the others
last_weights() {
  "$HEBB" weights "$1" | awk -F '\t' '
    { t = $2 + 0; if (t > last) { last = t; w0 = ""; s = ss = n = 0; max = -1e30 } }
    t == last && $1 == "rewarded" { w0 = $5 }
    t == last && $1 == "random" { s += $5; ss += $5 * $5; n++; if ($5 > max) max = $5 }
    END { m = s / n; printf "%g %.4f %.4f %.4f %.4f %d\n", last, w0, m, sqrt(ss / n - m * m), max, n }'
}
# holds EXPRESSION: an awk condition on the variables w0, mean, sd, max
holds() {
  local vals=$1 cond=$2
  echo "$vals" | awk "{ t = \$1; w0 = \$2; mean = \$3; sd = \$4; max = \$5; n = \$6 }
                      END { exit !($cond) }"
}

run=$(last_weights "$WORK/run")
control=$(last_weights "$WORK/control")
echo "at 100 s (time w0 mean sd max n): run $run; control $control"
check "the last snapshot is at 100 s with 99 other synapses" holds "$run" 't == 100000 && n == 99'
check "synapse 0 grew from 20 pA to at least 40 pA" holds "$run" 'w0 >= 40 && w0 <= 60'
check "synapse 0 ends at least 15 pA above the others' mean" holds "$run" 'w0 - mean >= 15'
check "the others' mean stays within 15 to 26 pA" holds "$run" 'mean >= 15 && mean <= 26'
check "control (no pairings): synapse 0 within 15 pA of the others' mean" \
  holds "$control" 'w0 - mean < 15 && w0 < 40'
finish
