#!/usr/bin/env bash
# learning.tsv, the running loss that `hebb run` writes for populations with a target:
#  - every line equals, string for string, the "total" that `hebb vanrossum --window PERIOD`
#    prints for the same window of the finished run: on examples/superspike_single.yaml (SS1,
#    5 s: 10 repetitions, the neuron fires from 4 s on) and on a small model with output
#    spikes and target times on period bounds, off the grid and at the run's end, and two
#    target populations with different periods (several periods per output chunk);
#  - one line per whole period, sorted by time and population; none for a last partial one;
#  - --loss-tau; summary.json's "learning" member agrees with the file;
#  - the same bytes on 1, 2 and 3 threads (SS1, and tests/data/rules/superspike.yaml: 300
#    neurons, 400 ms);
#  - runs resumed from checkpoints in the middle of a period (with spikes before and after
#    the checkpoint in it) and on a period's end (with a spike stamped there), on other
#    thread counts, write the same learning.tsv and summary member as uninterrupted ones; a
#    resume into an empty directory starts with the first period after the checkpoint; a
#    resume with another --loss-tau is refused;
#  - no learning.tsv for a model without target (an old one is removed); a population with a
#    target that is not recorded is refused.
. "$(dirname "$0")/lib.sh"
SS1=$SRC/examples/superspike_single.yaml
RULES=$SRC/tests/data/rules/superspike.yaml

# same_as_vr LEARNING VR POP PERIOD: every line of POP in LEARNING has the loss (as a string)
# of the "total" line of VR (hebb vanrossum's output) for the window that ends at its time
same_as_vr() {
  awk -F'\t' -v pop="$3" -v P="$4" '
    FNR == NR { if ($1 == "total") vr[$2 + 0] = $3; next }
    /^#/ || $2 != pop { next }
    { n++; s = $1 - P
      if (!(s in vr) || vr[s] "" != $3 "") { bad++; print "  " $1 ": " $3 " != " vr[s] } }
    END { exit !(n > 0 && !bad) }' "$2" "$1"
}
# lines FILE [POP]: the number of loss lines (of POP)
lines() { awk -F'\t' -v pop="${2:-}" '!/^#/ && (pop == "" || $2 == pop) { n++ } END { print n + 0 }' "$1"; }
# learning_member DIR: the "learning" member of DIR/summary.json
learning_member() { sed -n '/^  "learning": {/,/^  },/p' "$1/summary.json"; }

# ---- SS1: the loss is hebb vanrossum's ------------------------------------------------------
awk 'BEGIN { for (r = 0; r < 10; r++) for (k = 0; k < 5; k++) printf "0\t%.17g\n", r * 500 + 50 + 100 * k }' \
  > "$WORK/ss1_target.tsv"
"$HEBB" run "$SS1" -o "$WORK/t1" -d 5s -t 1 -q
L=$WORK/t1/learning.tsv
check "SS1: learning.tsv written" test -s "$L"
check "SS1: a header naming tau, then the column names" \
  test "$(head -2 "$L" | tail -1)" = $'# time_ms\tpopulation\tloss' -a "$(head -1 "$L" | grep -c '(tau_ms 10)')" = 1
check "SS1: one line per period, 500 ms to 5000 ms" \
  test "$(awk '!/^#/ { printf "%s ", $1 }' "$L")" = "500 1000 1500 2000 2500 3000 3500 4000 4500 5000 "
"$HEBB" vanrossum "$WORK/t1" --population out --target "$WORK/ss1_target.tsv" --window 500ms \
  > "$WORK/t1_vr.tsv"
check "SS1: every loss equals hebb vanrossum's total of its window" \
  same_as_vr "$L" "$WORK/t1_vr.tsv" out 500
check "SS1: silent periods cost five missed spikes (2.5...), the firing ones differ" \
  awk -F'\t' '!/^#/ { if ($1 <= 2000 && ($3 < 2.5 || $3 > 2.501)) bad = 1
    if ($1 > 2000 && $3 + 0 == 2.5001816059026982) bad = 1 } END { exit bad }' "$L"
# the summary: first, last, min (first reached), mean of the last 10 from the file's lines
want=$(awk -F'\t' '!/^#/ { n++; v[n] = $3; t[n] = $1; if (n == 1 || $3 < min) { min = $3; at = $1 } }
  END { for (i = n - 9; i <= n; i++) s += v[i]
    printf "%.17g %.17g %.17g %s %.17g", v[1], v[n], min, at, s / 10 }' "$L")
got=$(learning_member "$WORK/t1" | awk '/"out"/ { gsub(/[{},:"]/, " "); for (i = 1; i < NF; i++) k[$i] = $(i + 1)
  printf "%s %s %s %s %s %s %s %s", k["tau_ms"], k["period_ms"], k["periods"], k["first"], k["last"], k["min"], k["min_time_ms"], k["mean_last_10"] }')
check "summary.json: learning.out has tau_ms 10, period_ms 500, 10 periods ($got)" \
  test "$(echo "$got" | cut -d' ' -f1-3)" = "10 500 10"
check "summary.json: first, last, min, min_time_ms, mean_last_10 agree with learning.tsv" \
  awk -v g="$got" -v w="$want" 'BEGIN { split(g, a, " "); split(w, b, " ")
    for (i = 1; i <= 5; i++) { d = a[i + 3] - b[i]; if (d < 0) d = -d; if (d > 1e-12 * (b[i] < 0 ? -b[i] : b[i])) exit 1 }
    exit 0 }'
check "summary.json keeps its other members" grep -q '"populations": {' "$WORK/t1/summary.json"

# ---- threads ------------------------------------------------------------------------------
for t in 2 3; do
  "$HEBB" run "$SS1" -o "$WORK/t$t" -d 5s -t "$t" -q
  check "SS1: learning.tsv identical on $t threads" cmp -s "$L" "$WORK/t$t/learning.tsv"
  check "SS1: summary learning member identical on $t threads" \
    test "$(learning_member "$WORK/t1")" = "$(learning_member "$WORK/t$t")"
done
for t in 1 2 3; do
  "$HEBB" run "$RULES" -o "$WORK/r$t" -t "$t" -q
done
check "300 neurons: one line per 100 ms period" test "$(lines "$WORK/r1/learning.tsv" exc)" -eq 4
check "300 neurons: identical on 2 threads" cmp -s "$WORK/r1/learning.tsv" "$WORK/r2/learning.tsv"
check "300 neurons: identical on 3 threads" cmp -s "$WORK/r1/learning.tsv" "$WORK/r3/learning.tsv"

# ---- --loss-tau ------------------------------------------------------------------------------
"$HEBB" run "$SS1" -o "$WORK/tau" -d 5s -t 1 -q --loss-tau 20ms
"$HEBB" vanrossum "$WORK/tau" -p out -t "$WORK/ss1_target.tsv" --window 500ms --tau 20ms \
  > "$WORK/tau_vr.tsv"
check "--loss-tau 20ms: equals hebb vanrossum --tau 20ms" \
  same_as_vr "$WORK/tau/learning.tsv" "$WORK/tau_vr.tsv" out 500
check "--loss-tau 20ms: named in the header and the summary" \
  test "$(grep -c '(tau_ms 20)' "$WORK/tau/learning.tsv")" = 1 -a \
  "$(learning_member "$WORK/tau" | grep -c '"tau_ms": 20,')" = 1
check "--loss-tau 20ms: other losses than tau 10 ms" \
  bash -c "! cmp -s '$L' '$WORK/tau/learning.tsv'"

# ---- checkpoints -------------------------------------------------------------------------------
# SS1 with checkpoints at 2125 ms (in the first period with output spikes, 2000-2500: at
# 2028.1 and 2072.9 before it, 2179.0 after) and 4250 ms (in the middle of the period
# 4000-4500: spikes at 4193.1 and 4247.5 before it, 4319.9 after)
"$HEBB" run "$SS1" -o "$WORK/ck" -d 5s -t 1 -q --checkpoint-every 2.125s
check "SS1: an interrupted run writes the same learning.tsv" cmp -s "$L" "$WORK/ck/learning.tsv"
for c in 2125:2 4250:3; do
  ms=${c%:*} t=${c#*:}
  ckpt=$WORK/ck/checkpoints/step-0000000${ms}0.ckpt
  rm -rf "$WORK/res" && cp -r "$WORK/ck" "$WORK/res"
  if "$HEBB" run "$SS1" -o "$WORK/res" -d 5s -t "$t" -q --resume "$ckpt"; then
    check "SS1: resumed at $ms ms on $t threads: learning.tsv byte-identical" \
      cmp -s "$L" "$WORK/res/learning.tsv"
    check "SS1: resumed at $ms ms on $t threads: the same summary learning member" \
      test "$(learning_member "$WORK/t1")" = "$(learning_member "$WORK/res")"
  else
    fail "SS1: resumes from $ckpt"
  fi
done
# the 300-neuron network, spiking all the time: checkpoints at 150 ms (mid-period) and 300 ms
# (a period's end) on 2 threads, resumed on 1 and 3
"$HEBB" run "$RULES" -o "$WORK/rck" -t 2 -q --checkpoint-every 150ms
for c in 1500:1 3000:3; do
  rm -rf "$WORK/rres" && cp -r "$WORK/rck" "$WORK/rres"
  "$HEBB" run "$RULES" -o "$WORK/rres" -t "${c#*:}" -q \
    --resume "$WORK/rck/checkpoints/step-00000000${c%:*}.ckpt"
  check "300 neurons: resumed at step ${c%:*} on ${c#*:} threads: learning.tsv byte-identical" \
    cmp -s "$WORK/r1/learning.tsv" "$WORK/rres/learning.tsv"
done
# into an empty directory: the periods that begin after the checkpoint (2500 ms on)
"$HEBB" run "$SS1" -o "$WORK/anew" -d 5s -t 2 -q --resume "$WORK/ck/checkpoints/step-000000021250.ckpt" 2> /dev/null
check "resumed into an empty directory: the lines of the periods after the checkpoint" \
  test "$(grep -v '^#' "$WORK/anew/learning.tsv")" = "$(awk -F'\t' '!/^#/ && $1 >= 3000' "$L")"
# a resume keeps its tau: another is refused, none given continues with the file's
"$HEBB" run "$SS1" -o "$WORK/tauck" -d 5s -t 1 -q --loss-tau 20ms --checkpoint-every 4.25s
"$HEBB" run "$SS1" -o "$WORK/tauck" -d 5s -t 1 -q --loss-tau 10ms \
  --resume "$WORK/tauck/checkpoints/step-000000042500.ckpt" 2> "$WORK/err"
rc=$?
check "a resume with another --loss-tau: exit 2 and why ($(head -c 200 "$WORK/err"))" \
  test $rc -eq 2 -a "$(grep -c 'have tau 20 ms; a resumed run continues with the same' "$WORK/err")" = 1
"$HEBB" run "$SS1" -o "$WORK/tauck" -d 5s -t 2 -q --resume "$WORK/tauck/checkpoints/step-000000042500.ckpt"
check "a resume without --loss-tau keeps the run's tau 20 ms" \
  cmp -s "$WORK/tau/learning.tsv" "$WORK/tauck/learning.tsv"

# ---- bounds: spikes and targets on period ends, the run's end, two periods -------------------
# out (period 30 ms) is driven to spike at 5, 10.1, 30, 30.1, 45.1, 60 and 90 ms: 30 and 60
# lie on period ends (they belong to the next period), 90 on the run's end (in the last
# period when the run ends there, as in hebb vanrossum). Its targets: 30 ms (a period's end;
# 90 ms is the run's end), 0.1 ms, 12.34 and 29.95 ms (off the 0.1 ms grid). out2 (period
# 20 ms) fires at 20 and 40 ms.
cat > "$WORK/bounds.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 90 ms, seed: 1}
populations:
  - name: out
    size: 3
    model: iaf_psc_delta
    params: {t_ref: 0.1 ms}
    target:
      period: 30 ms
      spike_times: [[5 ms, 30 ms], [0.1 ms, 12.34 ms, 29.95 ms], []]
  - name: out2
    size: 1
    model: iaf_psc_delta
    params: {t_ref: 0.1 ms}
    target: {period: 20 ms, spike_times: [[10 ms]]}
stimuli:
  - name: drive
    size: 3
    model: spike_generator
    spike_times:
      - [29.9 ms, 59.9 ms]
      - [4.9 ms, 30 ms, 45 ms]
      - [10 ms, 89.9 ms]
  - name: drive2
    size: 1
    model: spike_generator
    spike_times: [[19.9 ms, 39.9 ms]]
projections:
  - {name: d, source: drive, target: out, rule: one_to_one, weight: 100 mV, delay: 0.1 ms}
  - {name: d2, source: drive2, target: out2, rule: one_to_one, weight: 100 mV, delay: 0.1 ms}
record:
  spikes: [out, out2]
EOF
awk 'BEGIN { n = split("0:5 0:30 1:0.1 1:12.34 1:29.95", a, " ")
  for (r = 0; r < 4; r++) for (k = 1; k <= n; k++) { split(a[k], f, ":"); printf "%d\t%.17g\n", f[1], r * 30 + f[2] } }' \
  > "$WORK/bounds_out.tsv"
awk 'BEGIN { for (r = 0; r < 5; r++) printf "0\t%.17g\n", r * 20 + 10 }' > "$WORK/bounds_out2.tsv"
for d in 90ms 100ms; do
  B=$WORK/b$d
  "$HEBB" run "$WORK/bounds.yaml" -o "$B" -d $d -t 2 -q
  "$HEBB" vanrossum "$B" -p out -t "$WORK/bounds_out.tsv" --window 30ms > "$B/vr_out.tsv" \
    2> /dev/null # targets after the run's end
  "$HEBB" vanrossum "$B" -p out2 -t "$WORK/bounds_out2.tsv" --window 20ms > "$B/vr_out2.tsv"
  check "bounds, $d: out equals hebb vanrossum" same_as_vr "$B/learning.tsv" "$B/vr_out.tsv" out 30
  check "bounds, $d: out2 equals hebb vanrossum" same_as_vr "$B/learning.tsv" "$B/vr_out2.tsv" out2 20
done
check "bounds: the output spikes where planned, on period ends and the run's end" \
  test "$("$HEBB" spikes "$WORK/b90ms" | awk '$1 == "out" { printf "%s ", $3 }')" = "5.0 10.1 30.0 30.1 45.1 60.0 90.0 "
check "bounds, 90 ms: lines sorted by time, then population" \
  test "$(awk -F'\t' '!/^#/ { printf "%s:%s ", $1, $2 }' "$WORK/b90ms/learning.tsv")" = \
  "20:out2 30:out 40:out2 60:out 60:out2 80:out2 90:out "
check "bounds, 100 ms: no line for the partial period 90-100 of out; out2 ends with the run" \
  test "$(awk -F'\t' '!/^#/ { printf "%s:%s ", $1, $2 }' "$WORK/b100ms/learning.tsv")" = \
  "20:out2 30:out 40:out2 60:out 60:out2 80:out2 90:out 100:out2 "
# the spike and the target time at the run's end count in the last period of the 90 ms run,
# not when the run goes on (100 ms): the losses of the period 60-90 differ, both as hebb
# vanrossum's
check "bounds: the period that ends with the run holds its end" \
  awk -F'\t' 'FNR == NR { if ($1 == 90 && $2 == "out") a = $3; next }
    $1 == 90 && $2 == "out" { exit !(a != "" && a - $3 > 0.5) }' \
  "$WORK/b90ms/learning.tsv" "$WORK/b100ms/learning.tsv"
# checkpoints on period ends, right after the spikes stamped there
"$HEBB" run "$WORK/bounds.yaml" -o "$WORK/bck" -t 1 -q --checkpoint-every 30ms
for c in 300:3 600:2; do
  rm -rf "$WORK/bres" && cp -r "$WORK/bck" "$WORK/bres"
  "$HEBB" run "$WORK/bounds.yaml" -o "$WORK/bres" -t "${c#*:}" -q \
    --resume "$WORK/bck/checkpoints/step-000000000${c%:*}.ckpt"
  check "bounds: resumed at step ${c%:*} (a spike stamped there) on ${c#*:} threads: identical" \
    cmp -s "$WORK/b90ms/learning.tsv" "$WORK/bres/learning.tsv"
done

# ---- no target, unrecorded target ------------------------------------------------------------
cat > "$WORK/plain.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 50 ms, seed: 1}
populations:
  - {name: n, size: 2, model: iaf_psc_exp}
record:
  spikes: [n]
EOF
cp "$L" "$WORK/t1/learning_copy.tsv"
"$HEBB" run "$WORK/plain.yaml" -o "$WORK/t1" -q
check "a model without target: no learning.tsv (the old one removed)" test ! -e "$WORK/t1/learning.tsv"
check "a model without target: no learning member in summary.json" \
  bash -c "! grep -q '\"learning\"' '$WORK/t1/summary.json'"
sed '/^  spikes: \[out\]$/d' "$SS1" > "$WORK/unrecorded.yaml"
"$HEBB" run "$WORK/unrecorded.yaml" -o "$WORK/unrec" -d 1s -q 2> "$WORK/err"
rc=$?
check "a target population not recorded: exit 2 ($(head -c 300 "$WORK/err"))" \
  test $rc -eq 2 -a "$(grep -c "population 'out' has a target.*add 'out' to record: spikes" "$WORK/err")" = 1
check "a target population not recorded: no output directory" test ! -e "$WORK/unrec"
"$HEBB" run "$SS1" -o "$WORK/bad" --loss-tau 0 -q 2> "$WORK/err"
check "--loss-tau 0: exit 2" test $? -eq 2 -a "$(grep -c 'loss-tau: expected a positive' "$WORK/err")" = 1
"$HEBB" run --help > "$WORK/help"
check "hebb run --help documents learning.tsv and --loss-tau" \
  test "$(grep -c 'learning.tsv' "$WORK/help")" -ge 1 -a "$(grep -c -- '--loss-tau' "$WORK/help")" = 1
finish
