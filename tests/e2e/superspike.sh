#!/usr/bin/env bash
# SuperSpike end to end, on examples/superspike_single.yaml (SS1 of MODELS.md 4: one neuron,
# 100 frozen-Poisson inputs, five target spikes per 500 ms repetition):
#  - learning: the van Rossum distance (hebb vanrossum, tau 10 ms) per repetition falls from
#    2.5 (five missed spikes) over the first 20 repetitions to a mean below 0.05 over
#    repetitions 280-299 (measured: 2.78 and 0.004, seed 1; deterministic; 0 from 300 on);
#  - the training is the same on 1, 2 and 3 threads (spikes and weights);
#  - a checkpoint in the middle of training resumes to the same spikes and weights.
# HEBB_E2E_DURATION (sanitizer builds) shortens the learning run to 40 repetitions and only
# asks for a fall.
. "$(dirname "$0")/lib.sh"
EX=$SRC/examples/superspike_single.yaml
if [ -n "${HEBB_E2E_DURATION:-}" ]; then
  DUR=20s REPS=40 LATE=30 LIMIT=2.45
else
  DUR=150s REPS=300 LATE=280 LIMIT=0.05
fi

awk -v n="$REPS" 'BEGIN { for (r = 0; r < n; r++) for (k = 0; k < 5; k++)
  printf "0\t%g\n", r * 500 + 50 + 100 * k }' > "$WORK/target.tsv"
"$HEBB" run "$EX" -o "$WORK/learn" -d "$DUR" -t 1 -q
"$HEBB" vanrossum "$WORK/learn" --population out --target "$WORK/target.tsv" --window 500ms \
  > "$WORK/vr.tsv"
read -r early late <<< "$(awk -F'\t' -v late="$LATE" '$1 == "total" { r = $2 / 500
  if (r < 20) { e += $3; ne++ } else if (r >= late && r < late + 20) { l += $3; nl++ } }
  END { printf "%.4f %.4f\n", e / ne, l / nl }' "$WORK/vr.tsv")"
check "SS1: distance over repetitions 0-19 near 2.5, five spikes missed ($early)" \
  awk -v x="$early" 'BEGIN { exit !(x > 2.3) }'
check "SS1: distance over repetitions $LATE-$((LATE + 19)) below $LIMIT ($late)" \
  awk -v x="$late" -v l="$LIMIT" 'BEGIN { exit !(x < l) }'

# the same training on 1, 2 and 3 threads
for t in 1 2 3; do
  "$HEBB" run "$EX" -o "$WORK/t$t" -d 5s -t "$t" -q
  { "$HEBB" spikes "$WORK/t$t" && "$HEBB" weights "$WORK/t$t"; } > "$WORK/t$t.txt"
done
check "training produced weight snapshots" test "$(wc -l < "$WORK/t1.txt")" -gt 900
check "training identical on 2 threads" cmp -s "$WORK/t1.txt" "$WORK/t2.txt"
check "training identical on 3 threads" cmp -s "$WORK/t1.txt" "$WORK/t3.txt"

# a checkpoint in the middle of training
"$HEBB" run "$EX" -o "$WORK/ck" -d 5s -t 1 -q --checkpoint-every 2.5s
cp -r "$WORK/ck" "$WORK/res"
if "$HEBB" run "$EX" -o "$WORK/res" -d 5s -t 2 -q \
  --resume "$WORK/ck/checkpoints/step-000000025000.ckpt"; then
  { "$HEBB" spikes "$WORK/res" && "$HEBB" weights "$WORK/res"; } > "$WORK/res.txt"
  check "training resumed from a checkpoint at 2.5 s: identical" cmp -s "$WORK/t1.txt" "$WORK/res.txt"
else
  fail "training resumes from a checkpoint"
fi
finish
