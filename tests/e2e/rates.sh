#!/usr/bin/env bash
# B1 COBA and B2 CUBA (BENCHMARKS.md) run 10 s of model time; their mean rates over all
# 4000 neurons must lie in the range that Brian2, NEST and Auryn give for the same networks
# (COBA 17.9-20.0 Hz, CUBA 5.3-5.8 Hz), widened by 5 % for seed-to-seed variation.
. "$(dirname "$0")/lib.sh"

rate() { # DIR: mean rate over the 4000 neurons and 10 s
  "$HEBB" spikes "$1" | wc -l | awk '{ printf "%.3f", $1 / 4000 / 10 }'
}
in_range() { awk -v r="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(r >= lo && r <= hi) }'; }

for model in examples/coba.yaml perf/models/b1_coba.yaml perf/models/b1_coba_euler.yaml; do
  "$HEBB" run "$SRC/$model" -o "$WORK/coba" --threads 2 -q
  r=$(rate "$WORK/coba")
  check "COBA $model: mean rate $r Hz in [17.0, 21.0]" in_range "$r" 17.0 21.0
done
for model in perf/models/b2_cuba.yaml examples/cuba.yaml; do
  "$HEBB" run "$SRC/$model" -o "$WORK/cuba" --threads 2 -q
  r=$(rate "$WORK/cuba")
  check "CUBA $model: mean rate $r Hz in [5.0, 6.1]" in_range "$r" 5.0 6.1
done

# The summary agrees with the spike file.
n=$("$HEBB" spikes "$WORK/cuba" | wc -l)
check "CUBA summary spikes_total = $n" grep -q "\"spikes_total\": $n," "$WORK/cuba/summary.json"
finish
