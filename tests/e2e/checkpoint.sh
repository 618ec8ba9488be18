#!/usr/bin/env bash
# Checkpoints end to end (invariants I2 and I3 of the design):
#  - bit-exact resume: a run to 2T straight, against a run that checkpoints at T and a resume
#    from that checkpoint to 2T in a copy of its output directory (whose files hold more than
#    the checkpoint covers: the resume cuts them back). `hebb spikes`, `hebb weights` and
#    `hebb state` must be byte-identical, for B3 (COBA-STDP, weights recorded), a
#    stdp_dopamine network (modulating population, rewards, a critic and learning phases),
#    and a network with Poisson input, explicit spikes, a dc current and heterogeneous delays;
#    checkpoints written at 1 thread resumed at 2 and 3, and the reverse;
#  - a SIGTERM stops the run at an epoch with a checkpoint (exit code 3) that resumes
#    identically; a second signal stops it at once, leaving a loadable checkpoint;
#  - a failed checkpoint write (injected) is reported, the run goes on, the older
#    checkpoint stays loadable and resumes identically;
#  - damage is refused with a message naming it: a flipped byte, a truncation, a
#    checkpoint of another model.
# HEBB_E2E_DURATION shortens the runs (sanitizer builds).
. "$(dirname "$0")/lib.sh"
DUR=${HEBB_E2E_DURATION:-400ms}
T=$(awk -v d="$DUR" 'BEGIN { printf "%gms", (d + 0) / 2 }')

dump() { "$HEBB" spikes "$1" && "$HEBB" weights "$1" && "$HEBB" state "$1"; }

# the B3 network with its weights recorded often
sed 's/every: 5 s/every: 50 ms/' "$SRC/examples/coba_stdp.yaml" > "$WORK/coba_stdp.yaml"
check "the B3 copy records weights every 50 ms" grep -q 'every: 50 ms' "$WORK/coba_stdp.yaml"

for model in "$WORK/coba_stdp.yaml" "$SRC/tests/data/ckpt/dopamine.yaml" \
  "$SRC/tests/data/poisson_delays.yaml"; do
  name=$(basename "$model" .yaml)
  "$HEBB" run "$model" -o "$WORK/$name-full" -d "$DUR" -t 2 -q
  dump "$WORK/$name-full" > "$WORK/$name-full.txt"
  check "$name: the reference run recorded spikes, weights or state" \
    test "$(wc -l < "$WORK/$name-full.txt")" -gt 1000
  for wt in 1 2; do
    part="$WORK/$name-part$wt"
    "$HEBB" run "$model" -o "$part" -d "$DUR" -t "$wt" -q --checkpoint-every "$T"
    ckpt=$(ls "$part"/checkpoints/step-*.ckpt | head -1)
    check "$name: a checkpoint was written at $wt thread(s)" test -f "$ckpt"
    check "$name: hebb verify accepts it with its model" quietly "$HEBB" verify "$ckpt" "$model"
    for rt in 1 2 3; do
      [ "$wt" = 2 ] && [ "$rt" != 1 ] && continue
      [ "$wt" = 1 ] && [ "$rt" = 1 ] && continue
      res="$WORK/$name-res$wt$rt"
      cp -r "$part" "$res"
      if "$HEBB" run "$model" -o "$res" -d "$DUR" -t "$rt" -q --resume "$ckpt"; then
        dump "$res" > "$res.txt"
        check "$name: written at $wt, resumed at $rt thread(s): identical output" \
          cmp -s "$WORK/$name-full.txt" "$res.txt"
      else
        fail "$name: resume at $rt thread(s) exits 0"
      fi
    done
  done
done

# SIGTERM: the run stops at the next epoch with a checkpoint and exit code 3; the same
# command with --resume finishes the run as if it had not been stopped. A checkpoint beyond
# the end of the run is refused.
M="$WORK/coba_stdp.yaml"
"$HEBB" run "$M" -o "$WORK/sig" -d 1s -t 1 -q &
pid=$!
sleep 0.4
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 0 ]; then
  ok "SIGTERM: the run had finished before the signal (nothing to check on this machine)"
else
  check "SIGTERM: exit code 3 (got $rc)" test $rc -eq 3
  check "SIGTERM: no summary (the run is unfinished)" test ! -e "$WORK/sig/summary.json"
  ckpt=$(ls "$WORK"/sig/checkpoints/step-*.ckpt 2> /dev/null | tail -1)
  if [ -n "$ckpt" ]; then
    check "SIGTERM: its checkpoint verifies" quietly "$HEBB" verify "$ckpt" "$M"
    if "$HEBB" run "$M" -o "$WORK/sig" -d 1s -t 2 -q --resume "$ckpt"; then
      dump "$WORK/sig" > "$WORK/sig.txt"
      "$HEBB" run "$M" -o "$WORK/sigref" -d 1s -t 2 -q
      dump "$WORK/sigref" > "$WORK/sigref.txt"
      check "SIGTERM: resumed run identical to an uninterrupted one" \
        cmp -s "$WORK/sigref.txt" "$WORK/sig.txt"
    else
      fail "SIGTERM: the resume exits 0"
    fi
  else
    fail "SIGTERM: no checkpoint written"
  fi
fi

# Two signals in a row: the second stops the run at once; whatever checkpoint exists loads.
"$HEBB" run "$M" -o "$WORK/sig2" -d 20s -t 2 -q --checkpoint-every 50ms &
pid=$!
sleep 1.5
kill -TERM $pid
kill -TERM $pid
wait $pid
rc=$?
check "two signals: the run ends (exit $rc)" test $rc -ne 0
# (a slow machine may be killed by the second signal before it wrote any: none to check)
for c in "$WORK"/sig2/checkpoints/step-*.ckpt; do
  [ -e "$c" ] || continue
  check "two signals: $(basename "$c") verifies" quietly "$HEBB" verify "$c" "$M"
done

# A failed checkpoint write: reported, the run goes on, the older checkpoint stays.
M2=$SRC/tests/data/poisson_delays.yaml
HEBB_CKPT_FAULT=rename:2 "$HEBB" run "$M2" -o "$WORK/fault" -d "$DUR" -t 2 -q \
  --checkpoint-every 50ms --keep 20 2> "$WORK/fault.err"
rc=$?
check "injected rename failure: the run still finishes (exit $rc)" test $rc -eq 0
check "injected rename failure: reported" grep -q "checkpoint at 100.0 ms failed" "$WORK/fault.err"
check "injected rename failure: the first checkpoint is kept" \
  test -f "$WORK/fault/checkpoints/step-000000000500.ckpt"
check "injected rename failure: the failed one is absent" \
  test ! -e "$WORK/fault/checkpoints/step-000000001000.ckpt"
check "injected rename failure: no temporary file left" \
  bash -c "! ls '$WORK'/fault/checkpoints/*.tmp 2> /dev/null"
"$HEBB" run "$M2" -o "$WORK/p-ref" -d "$DUR" -t 1 -q
dump "$WORK/p-ref" > "$WORK/p-ref.txt"
cp -r "$WORK/fault" "$WORK/fault-res"
if "$HEBB" run "$M2" -o "$WORK/fault-res" -d "$DUR" -t 3 -q \
  --resume "$WORK/fault/checkpoints/step-000000000500.ckpt"; then
  dump "$WORK/fault-res" > "$WORK/fault-res.txt"
  check "injected rename failure: the kept checkpoint resumes identically" \
    cmp -s "$WORK/p-ref.txt" "$WORK/fault-res.txt"
else
  fail "injected rename failure: the kept checkpoint resumes"
fi

# A checkpoint after the end of the run is refused, and the output is left alone.
cp -r "$WORK/fault" "$WORK/late"
"$HEBB" run "$M2" -o "$WORK/late" -d 10ms -t 1 -q \
  --resume "$WORK/fault/checkpoints/step-000000000500.ckpt" 2> "$WORK/late.err"
rc=$?
check "a checkpoint after the end of the run: refused with exit code 2 ($(cat "$WORK/late.err"))" \
  test $rc -eq 2
check "a checkpoint after the end of the run: the output is untouched" \
  cmp -s "$WORK/fault/spikes.bin" "$WORK/late/spikes.bin"

# Wall-clock checkpoints, rotated: with a wall interval shorter than any chunk, a checkpoint
# at every chunk (how many depends on the machine's speed: counted from the messages), of
# which the --keep newest stay.
"$HEBB" run "$M2" -o "$WORK/wall" -d "$DUR" -t 2 --checkpoint-wall 1ms --keep 2 \
  > /dev/null 2> "$WORK/wall.err"
written=$(grep -c "^hebb: checkpoint " "$WORK/wall.err")
n=$(ls "$WORK"/wall/checkpoints/step-*.ckpt 2> /dev/null | wc -l)
want=$((written < 2 ? written : 2))
check "--checkpoint-wall: $written written, the $want newest remain ($n)" \
  test "$written" -ge 1 -a "$n" -eq "$want"
for c in "$WORK"/wall/checkpoints/step-*.ckpt; do
  check "--checkpoint-wall: $(basename "$c") verifies" quietly "$HEBB" verify "$c" "$M2"
done

# Damage: refused with a message that names it, exit code 2, nothing run.
good=$WORK/fault/checkpoints/step-000000000500.ckpt
size=$(stat -c %s "$good")
for off in 20 200 $((size / 2)) $((size - 10)); do
  cp "$good" "$WORK/flip.ckpt"
  printf '\x5a' | dd of="$WORK/flip.ckpt" bs=1 seek=$off conv=notrunc status=none
  cmp -s "$good" "$WORK/flip.ckpt" || {
    "$HEBB" verify "$WORK/flip.ckpt" > /dev/null 2> "$WORK/flip.err"
    rc=$?
    check "a byte changed at offset $off: refused with exit code 2 ($(head -c 200 "$WORK/flip.err"))" \
      test $rc -eq 2
  }
done
head -c $((size / 3)) "$good" > "$WORK/trunc.ckpt"
"$HEBB" run "$M2" -o "$WORK/trunc-out" -q --resume "$WORK/trunc.ckpt" 2> "$WORK/trunc.err"
rc=$?
check "a truncated checkpoint: refused with exit code 2" test $rc -eq 2
check "a truncated checkpoint: the message says so ($(cat "$WORK/trunc.err"))" \
  grep -qi "truncated\|too short\|ends" "$WORK/trunc.err"
check "a truncated checkpoint: nothing was run" test ! -e "$WORK/trunc-out/summary.json"
sed 's/seed: 7/seed: 8/' "$M2" > "$WORK/other.yaml"
"$HEBB" run "$WORK/other.yaml" -o "$WORK/other-out" -q --resume "$good" 2> "$WORK/other.err"
rc=$?
check "another model's checkpoint: refused with exit code 2" test $rc -eq 2
check "another model's checkpoint: the message names the model hashes" \
  grep -q "belongs to another model (model hash" "$WORK/other.err"
"$HEBB" inspect "$good" > "$WORK/inspect.txt"
check "hebb inspect lists the sections" grep -q "plasticity" "$WORK/inspect.txt"
check "hebb inspect shows the time" grep -q "^time        50 ms (step 500)" "$WORK/inspect.txt"

# A spike generator that emits one neuron's spike twice in a step: both deliveries are in
# flight at the checkpoint (3 ms delay; written at 3 ms, the first epoch boundary after 2 ms),
# and both must arrive after a resume on any number of threads: the current from 3.5 ms on
# (twice the weight at 4 ms) as in the uninterrupted run. A resume into a new directory
# records from the checkpoint on.
cat > "$WORK/twin.yaml" <<EOF
simulation: {dt: 0.1 ms, duration: 6 ms, seed: 1}
populations:
$(probe_population)
stimuli:
  - {name: g, size: 1, model: spike_generator, spike_times: [[1 ms, 1 ms]]}
projections:
  - {source: g, target: tgt, rule: all_to_all, weight: 10 pA, delay: 3 ms}
record:
  state:
    - {population: tgt, variables: [I_syn_ex], interval: 0.1 ms}
EOF
"$HEBB" run "$WORK/twin.yaml" -o "$WORK/twin" -q --checkpoint-every 2ms --keep 5
"$HEBB" state "$WORK/twin" > "$WORK/twin.state"
check "twin spikes, uninterrupted: 20 pA at 4 ms" \
  grep -qP "^tgt\t0\tI_syn_ex\t4.0\t20$" "$WORK/twin.state"
awk -F'\t' '$4 >= 3.5' "$WORK/twin.state" > "$WORK/twin.late"
check "twin spikes: 26 samples from 3.5 to 6 ms" test "$(wc -l < "$WORK/twin.late")" -eq 26
for t in 1 2 3; do
  "$HEBB" run "$WORK/twin.yaml" -o "$WORK/twin-r$t" -q --threads $t \
    --resume "$WORK/twin/checkpoints/step-000000000030.ckpt"
  "$HEBB" state "$WORK/twin-r$t" | awk -F'\t' '$4 >= 3.5' > "$WORK/twin-r$t.state"
  check "twin spikes in flight, resumed on $t threads: the same current as uninterrupted" \
    cmp -s "$WORK/twin.late" "$WORK/twin-r$t.state"
done
# The same through a Poisson generator whose counts in a step are often above one (20 at
# 8 kHz, 0.8 spikes a step each): the current after a resume on 2 threads as uninterrupted.
sed -e 's/duration: 6 ms/duration: 8 ms/' \
  -e 's/{name: g, size: 1, model: spike_generator.*}/{name: g, size: 20, model: poisson_generator, params: {rate: 8 kHz}}/' \
  "$WORK/twin.yaml" > "$WORK/multi.yaml"
check "multiplicity: the model is the Poisson one" grep -q "rate: 8 kHz" "$WORK/multi.yaml"
"$HEBB" run "$WORK/multi.yaml" -o "$WORK/multi" -q --checkpoint-every 2ms --keep 5
"$HEBB" state "$WORK/multi" | awk -F'\t' '$4 >= 3.5' > "$WORK/multi.late"
"$HEBB" run "$WORK/multi.yaml" -o "$WORK/multi-r" -q --threads 2 \
  --resume "$WORK/multi/checkpoints/step-000000000030.ckpt"
"$HEBB" state "$WORK/multi-r" | awk -F'\t' '$4 >= 3.5' > "$WORK/multi-r.state"
check "multiplicity: 46 samples from 3.5 to 8 ms" test "$(wc -l < "$WORK/multi.late")" -eq 46
check "multiplicity: Poisson counts in flight, resumed on 2 threads: the same current" \
  cmp -s "$WORK/multi.late" "$WORK/multi-r.state"
finish
