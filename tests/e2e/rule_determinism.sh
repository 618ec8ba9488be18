#!/usr/bin/env bash
# Invariant I1 with plasticity, for every built-in rule: a plastic recurrent network per rule
# (tests/data/rules/RULE.yaml: a few hundred neurons, Poisson drive, heterogeneous delays,
# weight snapshots every 50 ms; stdp with one projection per scheme, stdp_dopamine with a
# modulator population and with a rewards schedule; learning schedules with frozen phases)
# gives byte-identical `hebb spikes` and `hebb weights` on 1, 2, 3 and 4 threads (a 2-core
# machine is oversubscribed at 3 and 4). Each 1-thread run must spike and learn: in every
# plastic projection at least a tenth of the weights differ between the first and the last
# snapshot. And a snapshot pair inside a frozen phase must be equal.
# HEBB_E2E_DURATION shortens the runs for the sanitizer builds (at least 100ms: two snapshots).
. "$(dirname "$0")/lib.sh"
DUR=${HEBB_E2E_DURATION:-400ms}
DATA=$SRC/tests/data/rules

# Every built-in rule has a model here, and stdp.yaml uses every scheme of stdp: a new rule
# or scheme without one fails this test.
"$HEBB" rules > "$WORK/rules"
for rule in $(awk -F: '/^[a-z0-9_]+: / { print $1 }' "$WORK/rules"); do
  check "rule $rule has a model in tests/data/rules" \
    grep -qE "^ *plasticity:.*rule: $rule([ ,}]|\$)|^ +rule: $rule\$" "$DATA/$rule.yaml"
done
schemes=$(awk '/^stdp:/ { s = 1; next } /^[^ ]/ { s = 0 }
               s && $1 == "option" && $2 == "scheme" { gsub(/\|/, " ", $3); print $3 }' "$WORK/rules")
check "hebb rules lists the stdp schemes" test -n "$schemes"
for scheme in $schemes; do
  check "stdp scheme $scheme is in stdp.yaml" grep -q "scheme: $scheme\\b" "$DATA/stdp.yaml"
done

# Weight snapshots inside a frozen phase of the model's learning schedule:
# MODEL PROJECTION T1_MS T2_MS (the weights at T1 and T2 are equal).
frozen="stdp nearest_presynaptic 200 250
bcm ee 150 250
synaptic_scaling ee 100 200
stdp_dopamine rewarded 150 250"

# "PROJECTION CHANGED TOTAL FIRST_MS LAST_MS" per projection of a `hebb weights` listing:
# how many weights of the last snapshot differ from the first snapshot's
changes() {
  awk -F '\t' '
    { p = $1; t = $2 + 0
      if (!(p in t0)) { t0[p] = t; order[++np] = p }
      if (t == t0[p]) first[p, ++n[p]] = $5
      if (t != tl[p]) { tl[p] = t; k[p] = 0; d[p] = 0 }
      if ($5 != first[p, ++k[p]]) d[p]++ }
    END { for (i = 1; i <= np; i++) { p = order[i]; print p, d[p], n[p], t0[p], tl[p] } }' "$1"
}

# the weights (source, target, weight) of PROJECTION at T ms in a `hebb weights` listing
snapshot() {
  awk -F '\t' -v p="$2" -v t="$3" '$1 == p && $2 + 0 == t { print $3, $4, $5 }' "$1"
}

for model in "$DATA"/*.yaml; do
  name=$(basename "$model" .yaml)
  ref=$WORK/$name-1
  for t in 1 2 3 4; do
    out="$WORK/$name-$t"
    if ! "$HEBB" run "$model" -o "$out" --threads "$t" --duration "$DUR" --quiet; then
      fail "$name: run at $t threads"
      continue
    fi
    "$HEBB" spikes "$out" > "$out.spikes" && "$HEBB" weights "$out" > "$out.weights"
    if [ "$t" = 1 ]; then
      n=$(wc -l < "$out.spikes")
      # a silent network, or one that does not learn, would make the comparison empty
      check "$name: 1 thread produced spikes ($n)" test "$n" -gt 1000
      check "$name: weight snapshots recorded" test -s "$out.weights"
      while read -r proj changed total first last; do
        check "$name: $proj: $changed of $total weights changed from $first to $last ms" \
          test $((10 * changed)) -ge "$total" -a "$total" -gt 0
      done < <(changes "$out.weights")
      while read -r fmodel proj t1 t2; do
        [ "$fmodel" = "$name" ] || continue
        snapshot "$out.weights" "$proj" "$t1" > "$out.$t1"
        snapshot "$out.weights" "$proj" "$t2" > "$out.$t2"
        if [ -s "$out.$t1" ] && [ -s "$out.$t2" ]; then
          check "$name: $proj: weights frozen from $t1 to $t2 ms" cmp -s "$out.$t1" "$out.$t2"
        else
          echo "skip $name: $proj: no snapshots at $t1 and $t2 ms in $DUR"
        fi
      done <<< "$frozen"
    else
      check "$name: spikes at $t threads identical to 1 thread" cmp -s "$ref.spikes" "$out.spikes"
      check "$name: weights at $t threads identical to 1 thread" \
        cmp -s "$ref.weights" "$out.weights"
    fi
  done
done
finish
