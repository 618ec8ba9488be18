#!/usr/bin/env bash
# The built-in profile: every finished run writes DIR/profile.txt and a "profile" member of
# summary.json (time per phase and partition, counts, load imbalance, memory by component);
# `hebb run --profile` prints it and `hebb profile DIR` prints it again. The counts must add
# up: the partitions' spikes are the run's spikes.
. "$(dirname "$0")/lib.sh"
M=$SRC/tests/data/poisson_delays.yaml
"$HEBB" run "$M" -o "$WORK/p" -d 200ms -t 2 -q --profile > "$WORK/printed.txt"
check "--profile prints the table" grep -q "^  part 1 " "$WORK/printed.txt"
"$HEBB" profile "$WORK/p" > "$WORK/again.txt"
check "hebb profile DIR prints the same report" cmp -s "$WORK/printed.txt" "$WORK/again.txt"
check "the report has the load imbalance" grep -q "load imbalance (max / mean busy time)" \
  "$WORK/again.txt"
check "the report has the memory by component" grep -q "memory (MB): indices" "$WORK/again.txt"
check "the report says whether hardware counters were measured" \
  grep -qE "hardware counters(: not available| per phase)" "$WORK/again.txt"
total=$(awk '$1 == "total" { print $10 }' "$WORK/again.txt")
spikes=$(grep -o '"spikes_total": [0-9]*' "$WORK/p/summary.json" | grep -o '[0-9]*$')
check "the partitions' spikes add up to the run's ($total = $spikes)" test "$total" = "$spikes"
check "summary.json has the profile" grep -q '"load_imbalance"' "$WORK/p/summary.json"
check "summary.json profiles both partitions" \
  test "$(grep -c '"busy_s"' "$WORK/p/summary.json")" -eq 3
"$HEBB" profile "$WORK/nothing" 2> "$WORK/err.txt"
rc=$?
check "hebb profile of a directory without a run: exit code 2" test $rc -eq 2
finish
