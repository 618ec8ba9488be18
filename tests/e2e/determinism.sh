#!/usr/bin/env bash
# Invariant I1: the spikes (and recorded state) of a model are byte-identical whatever the
# number of threads, here 1 to 4 on a 2-core machine (oversubscribed). HEBB_E2E_DURATION
# shortens the runs for the sanitizer builds.
. "$(dirname "$0")/lib.sh"
DUR=${HEBB_E2E_DURATION:-600ms}

for model in examples/coba.yaml examples/cuba.yaml tests/data/poisson_delays.yaml \
  tests/data/poisson_inversion.yaml perf/models/b1_coba_euler.yaml perf/models/b2_cuba.yaml; do
  name=$(basename "$model" .yaml)
  ref=""
  for t in 1 2 3 4; do
    out="$WORK/$name-$t"
    if ! "$HEBB" run "$SRC/$model" -o "$out" --threads "$t" --duration "$DUR" --quiet; then
      fail "$name: run at $t threads"
      continue
    fi
    "$HEBB" spikes "$out" > "$out.spikes" && "$HEBB" state "$out" > "$out.state"
    n=$(wc -l < "$out.spikes")
    if [ "$t" = 1 ]; then
      ref=$out
      # a silent network would make the comparison empty
      check "$name: 1 thread produced spikes ($n)" test "$n" -gt 300
    else
      check "$name: spikes at $t threads identical to 1 thread" cmp -s "$ref.spikes" "$out.spikes"
      # only models that record state have any to compare (two empty files prove nothing)
      if [ -s "$ref.state" ]; then
        check "$name: state at $t threads identical to 1 thread" cmp -s "$ref.state" "$out.state"
      fi
    fi
  done
done

# The order in which a neuron sums the events of one step (invariant I1): by the spike's step,
# then the source's gid. Three inputs arrive together at 3 ms: a (1 pA) and b (1 pA) spiked
# at 2 ms, c (2^53 pA) at 1 ms with the longer delay, so c comes first although its gid is
# the largest: (2^53 + 1) + 1 = 2^53 in binary64 (ties to even), where a, b, c in gid order
# would give 2^53 + 2. The same on 1 to 3 threads (the outboxes of the partitions merged).
cat > "$WORK/order.yaml" <<EOF
simulation: {dt: 0.1 ms, duration: 4 ms, seed: 1}
populations:
$(probe_population)
stimuli:
  - {name: a, size: 1, model: spike_generator, spike_times: [[2 ms]]}
  - {name: b, size: 1, model: spike_generator, spike_times: [[2 ms]]}
  - {name: c, size: 1, model: spike_generator, spike_times: [[1 ms]]}
projections:
  - {source: a, target: tgt, rule: all_to_all, weight: 1 pA, delay: 1 ms}
  - {source: b, target: tgt, rule: all_to_all, weight: 1 pA, delay: 1 ms}
  - {source: c, target: tgt, rule: all_to_all, weight: 9007199254740992 pA, delay: 2 ms}
record:
  state:
    - {population: tgt, variables: [I_syn_ex], interval: 0.1 ms}
EOF
for t in 1 2 3; do
  "$HEBB" run "$WORK/order.yaml" -o "$WORK/order-$t" --threads "$t" -q
  got=$("$HEBB" state "$WORK/order-$t" | awk -F'\t' '$4 == "3.0" { print $5 }')
  check "summation order at $t threads: I_syn_ex at 3 ms is 2^53 ($got)" test "$got" = 9007199254740992
done

# Running in pieces gives the same as one run: a chunked run is what the CLI does, so
# compare the 600 ms prefix of a longer run with the 600 ms run.
"$HEBB" run "$SRC/tests/data/poisson_delays.yaml" -o "$WORK/long" --threads 2 --duration 900ms -q
limit=$(awk -v d="$DUR" 'BEGIN { print d + 0 }')
"$HEBB" spikes "$WORK/long" | awk -F'\t' -v l="$limit" '$3 <= l' > "$WORK/long.prefix"
check "a longer run starts with the same spikes" cmp -s "$WORK/poisson_delays-1.spikes" "$WORK/long.prefix"

# Another seed gives other spikes.
"$HEBB" run "$SRC/tests/data/poisson_delays.yaml" -o "$WORK/seed" --seed 8 --duration "$DUR" -q
"$HEBB" spikes "$WORK/seed" > "$WORK/seed.spikes"
check "another seed gives other spikes" bash -c "! cmp -s '$WORK/poisson_delays-1.spikes' '$WORK/seed.spikes'"
# Poisson counts drawn by inversion (draws: inversion): the generators' spike counts over the
# run within 5 standard deviations of rate x size x time, both where the counts are drawn at
# the target (drive, one_to_one) and in the generator (noise); other spikes than with
# Knuth's method, except from `fast`, whose mean is beyond the table and is drawn by Knuth's
# method either way.
spikes_of() { grep -o "\"$2\": {[^}]*}" "$1/summary.json" | grep -o '"spikes": [0-9]*' | grep -o '[0-9]*$'; }
seconds=$(awk -v d="$DUR" 'BEGIN { print d / 1000 }')
for g in drive:203:8000 noise:150:50 fast:1:300000; do
  IFS=: read -r name size rate <<< "$g"
  n=$(spikes_of "$WORK/poisson_inversion-1" "$name")
  check "inversion: $name fires $n spikes, within 5 s.d. of $size x $rate Hz" \
    awk -v n="$n" -v e="$(awk -v s="$size" -v r="$rate" -v t="$seconds" 'BEGIN { print s * r * t }')" \
    'BEGIN { d = n - e; exit !(n > 0 && d * d < 25 * e) }'
done
sed 's/, draws: inversion//' "$SRC/tests/data/poisson_inversion.yaml" > "$WORK/knuth.yaml"
"$HEBB" run "$WORK/knuth.yaml" -o "$WORK/knuth" --duration "$DUR" -q
"$HEBB" spikes "$WORK/knuth" > "$WORK/knuth.spikes"
check "inversion: other spikes than Knuth's method" \
  bash -c "! cmp -s '$WORK/poisson_inversion-1.spikes' '$WORK/knuth.spikes'"
check "inversion: a mean beyond the table is drawn by Knuth's method (fast: the same count)" \
  test "$(spikes_of "$WORK/poisson_inversion-1" fast)" = "$(spikes_of "$WORK/knuth" fast)"
# A poisson_generator projected one_to_one is fused into its target (drawn and added at
# delivery); through any other rule its spikes travel as events. Both must give the target
# the same input: one generator drives a neuron each way (a power-of-two weight, so that a
# count of k added at once equals k single spikes to the bit), and their membrane
# potentials must agree at every step, in either precision and either way of drawing.
for prec in single double; do
  for draws in knuth inversion; do
    cat > "$WORK/fused.yaml" <<EOF
simulation: {dt: 0.1 ms, duration: 1 s, seed: 5}
populations:
  - name: fused
    size: 1
    model: iaf_psc_delta
    params: &n {tau_m: 20 ms, E_L: 0 mV, V_reset: 0 mV, V_th: 1000 mV, precision: $prec}
  - {name: synapse, size: 1, model: iaf_psc_delta, params: *n}
stimuli:
  - {name: drive, size: 1, model: poisson_generator, params: {rate: 4 kHz, draws: $draws}}
projections:
  - {source: drive, target: fused, rule: one_to_one, weight: 0.5 mV, delay: 1 ms}
  - {source: drive, target: synapse, rule: all_to_all, weight: 0.5 mV, delay: 1 ms}
record:
  state:
    - {population: fused, variables: [V_m], interval: 0.1 ms}
    - {population: synapse, variables: [V_m], interval: 0.1 ms}
EOF
    "$HEBB" run "$WORK/fused.yaml" -o "$WORK/fused-$prec-$draws" -q
    "$HEBB" state "$WORK/fused-$prec-$draws" > "$WORK/fused.state"
    check "fused drive ($prec, $draws): the same V_m at all 10000 steps as through a synapse" \
      awk -F'\t' '$1 == "fused" { a[$4] = $5 } $1 == "synapse" { b[$4] = $5 }
        END { for (t in a) { n++; if (a[t] != b[t]) d++; if (a[t] + 0 > 0) nz++ }
              exit !(n == 10000 && d == 0 && nz > 9000) }' "$WORK/fused.state"
  done
done
finish
