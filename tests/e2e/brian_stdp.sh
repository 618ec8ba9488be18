#!/usr/bin/env bash
# Pair STDP against an independent implementation: Brian2 (tests/reference/stdp_brian.py)
# on the same presynaptic and postsynaptic spike times, additive all-to-all STDP with hard
# bounds. Hebb stores weights as float32, Brian as float64: the weights must agree to 1e-5
# relative at every snapshot (a float rounding per update; any error in the rule, the
# traces, the delays or the order of updates is orders of magnitude larger).
. "$(dirname "$0")/lib.sh"

if ! /usr/bin/python3 -c 'import brian2' 2> /dev/null; then
  echo "Brian2 is not installed (Debian: python3-brian); 'make test' installs it"
  exit 77
fi

PRE=5,12.3,12.9,20,31.4,33,47.5,60.1,61,75,88.8,93.2
POST=8.1,14.2,25.3,31.3,40.1,58.1,62.7,70.2,91.7,95.5
DELAY=1.5
SNAPS=$(seq -s, 10 10 100)
for scheme in potentiate depress; do
  if [ $scheme = potentiate ]; then W0=40; LAMBDA=0.01; ALPHA=1.05; else W0=40; LAMBDA=0.03; ALPHA=2.0; fi
  drive=$(echo "$POST" | tr ',' '\n' | awk '{ printf "%s%.1f ms", (NR > 1 ? ", " : ""), $1 - 0.1 }')
  pre=$(echo "$PRE" | tr ',' '\n' | awk '{ printf "%s%s ms", (NR > 1 ? ", " : ""), $1 }')
  cat > "$WORK/model.yaml" << YAML
simulation: {dt: 0.1 ms, duration: 100 ms}
populations:
  - {name: post, size: 1, model: iaf_psc_delta,
     params: {tau_m: 0.05 ms, E_L: 0 mV, V_reset: 0 mV, V_th: 1000 mV, t_ref: 0 ms}}
stimuli:
  - {name: pre, size: 1, model: spike_generator, spike_times: [[$pre]]}
  - {name: drive, size: 1, model: spike_generator, spike_times: [[$drive]]}
projections:
  - {source: drive, target: post, rule: all_to_all, weight: 5000 mV, delay: 0.1 ms}
  - name: plastic
    source: pre
    target: post
    rule: all_to_all
    weight: $W0 mV
    delay: $DELAY ms
    plasticity: {rule: stdp, tau_plus: 20 ms, tau_minus: 20 ms, lambda: $LAMBDA, alpha: $ALPHA,
                 mu_plus: 0, mu_minus: 0, Wmax: 100 mV, scheme: all_to_all}
record:
  spikes: [post]
  weights: [{projection: plastic, every: 10 ms}]
YAML
  "$HEBB" run "$WORK/model.yaml" -o "$WORK/out" -q || { fail "$scheme: hebb run"; continue; }
  got=$("$HEBB" spikes "$WORK/out" | awk -F'\t' '$1 == "post" { printf "%s%s", (NR > 1 ? "," : ""), $3 }')
  want=$(echo "$POST" | tr ',' '\n' | awk '{ printf "%s%.1f", (NR > 1 ? "," : ""), $1 }')
  check "$scheme: the target spikes at the given post times" test "$got" = "$want"
  "$HEBB" weights "$WORK/out" | awk -F'\t' '{ print $2, $5 }' > "$WORK/hebb.txt"
  /usr/bin/python3 "$SRC/tests/reference/stdp_brian.py" "$PRE" "$POST" $DELAY $W0 100 $LAMBDA \
    $ALPHA 20 20 "$SNAPS" 100 2> /dev/null > "$WORK/brian.txt"
  check "$scheme: 10 snapshots from each" test "$(wc -l < "$WORK/hebb.txt")" -eq 10 -a \
    "$(wc -l < "$WORK/brian.txt")" -eq 10
  check "$scheme: the weight moved" awk 'NR == 1 { a = $2 } END { exit !(a != $2) }' "$WORK/brian.txt"
  if paste "$WORK/hebb.txt" "$WORK/brian.txt" | awk '{ d = $2 - $4; if (d < 0) d = -d;
      if ($1 + 0 != $3 + 0 || d > 1e-5 * ($4 < 0 ? -$4 : $4)) { print "  t=" $1 " hebb " $2 " brian " $4; bad = 1 } }
      END { exit bad }'; then
    ok "$scheme: weights agree with Brian2 at every snapshot"
  else
    fail "$scheme: weights differ from Brian2"
  fi
done
finish
