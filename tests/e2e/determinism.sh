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
      check "$name: state at $t threads identical to 1 thread" cmp -s "$ref.state" "$out.state"
    fi
  done
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
finish
