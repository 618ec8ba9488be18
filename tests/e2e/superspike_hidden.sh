#!/usr/bin/env bash
# SuperSpike through a hidden layer end to end, on tests/data/superspike_hidden/hidden.yaml
# (40 frozen-Poisson inputs -> 20 hidden -> 6 outputs with targets, superspike on both
# projections, a feedback entry from the outputs to the hidden layer; engine/feedback.c):
#  - for random (delay 0.8 ms: 8 steps, the epoch is 5), symmetric (the default delay, one
#    epoch) and uniform (scale 1.5) feedback: both layers spike and learn, and spikes and
#    weights are the same on 1, 2 and 3 threads;
#  - a checkpoint in the middle of training (at 1 s, when errors of targets at 499.5 and
#    500 ms are still on their way back) resumes on another thread count to the same spikes
#    and weights as the run without it; hebb verify and hebb inspect read the checkpoint;
#  - the three kinds train the hidden layer differently;
#  - broken feedback entries are refused (exit code 2) with a message that names the
#    problem: an unknown kind (at FILE:LINE:COLUMN, with the kinds listed), a source without
#    a target, a hidden population that already has a target, a hidden population that no
#    superspike projection reaches, symmetric feedback without exactly one hidden -> output
#    projection (none, two), a delay shorter than the smallest synaptic delay or not a whole
#    number of steps, feedback from a stimulus, a `weight:` key, and record.weights naming
#    a feedback.
# HEBB_E2E_DURATION (sanitizer builds) shortens the runs.
. "$(dirname "$0")/lib.sh"
M=$SRC/tests/data/superspike_hidden/hidden.yaml
if [ -n "${HEBB_E2E_DURATION:-}" ]; then
  DUR=1s HALF=500ms CKPT=step-000000005000.ckpt
else
  DUR=2s HALF=1s CKPT=step-000000010000.ckpt
fi

dump() { "$HEBB" spikes "$1" && "$HEBB" weights "$1"; }
verifies() { "$HEBB" verify "$1" "$2" > /dev/null; }
# variant KIND FILE: the model with feedback KIND (symmetric: at the default delay)
variant() {
  case $1 in
    symmetric) sed 's/^    feedback: random$/    feedback: symmetric/; /^    delay: 0.8 ms$/d' "$M" ;;
    *) sed "s/^    feedback: random\$/    feedback: $1/" "$M" ;;
  esac > "$2"
}

for kind in random symmetric uniform; do
  model=$WORK/$kind.yaml
  variant "$kind" "$model"
  check "$kind: the variant has its feedback line" grep -q "^    feedback: $kind\$" "$model"
  for t in 1 2 3; do
    "$HEBB" run "$model" -o "$WORK/$kind-t$t" -d "$DUR" -t "$t" -q
    dump "$WORK/$kind-t$t" > "$WORK/$kind-t$t.txt"
  done
  txt=$WORK/$kind-t1.txt
  check "$kind: hidden and output neurons spike" \
    awk -F'\t' '$1 == "hidden" { h++ } $1 == "out" { o++ } END { exit !(h > 100 && o > 10) }' "$txt"
  # the hidden layer's weights after the first update and at the end
  "$HEBB" weights "$WORK/$kind-t1" --projection in_hid > "$WORK/$kind-hid.txt"
  read -r up down <<< "$(awk -F'\t' 'NR == 1 { first = $2 } $2 == first { w[$3 " " $4] = $5 }
    { last[$3 " " $4] = $5 }
    END { for (k in w) { up += last[k] > w[k]; down += last[k] < w[k] } print up + 0, down + 0 }' \
    "$WORK/$kind-hid.txt")"
  check "$kind: hidden weights learn in both directions ($up up, $down down of 800)" \
    test "$up" -gt 50 -a "$down" -gt 50
  check "$kind: identical on 2 threads" cmp -s "$txt" "$WORK/$kind-t2.txt"
  check "$kind: identical on 3 threads" cmp -s "$txt" "$WORK/$kind-t3.txt"

  # a checkpoint in the middle of training, resumed on another thread count
  "$HEBB" run "$model" -o "$WORK/$kind-ck" -d "$DUR" -t 2 -q --checkpoint-every "$HALF"
  ckpt=$WORK/$kind-ck/checkpoints/$CKPT
  check "$kind: hebb verify accepts the checkpoint with its model" verifies "$ckpt" "$model"
  if "$HEBB" inspect "$ckpt" > "$WORK/$kind-inspect.txt"; then
    check "$kind: hebb inspect shows the feedback section" grep -q feedback "$WORK/$kind-inspect.txt"
  else
    fail "$kind: hebb inspect reads the checkpoint"
  fi
  cp -r "$WORK/$kind-ck" "$WORK/$kind-res"
  rt=$([ "$kind" = symmetric ] && echo 1 || echo 3)
  if "$HEBB" run "$model" -o "$WORK/$kind-res" -d "$DUR" -t "$rt" -q \
    --resume "$ckpt"; then
    dump "$WORK/$kind-res" > "$WORK/$kind-res.txt"
    check "$kind: checkpoint at $HALF on 2 threads, resumed on $rt: identical" \
      cmp -s "$txt" "$WORK/$kind-res.txt"
  else
    fail "$kind: resumes from the checkpoint at $HALF"
  fi
done
differ() { ! cmp -s "$1" "$2"; }
check "random and symmetric feedback train the hidden layer differently" \
  differ "$WORK/random-hid.txt" "$WORK/symmetric-hid.txt"
check "random and uniform feedback train the hidden layer differently" \
  differ "$WORK/random-hid.txt" "$WORK/uniform-hid.txt"
check "symmetric and uniform feedback train the hidden layer differently" \
  differ "$WORK/symmetric-hid.txt" "$WORK/uniform-hid.txt"

# refuse NAME PHRASE: hebb run refuses $WORK/NAME.yaml (exit code 2, no output directory)
# with a message containing PHRASE
refuse() {
  local f=$WORK/$1.yaml
  "$HEBB" run "$f" -o "$WORK/out-$1" -d 10ms -q > /dev/null 2> "$WORK/$1.err"
  local rc=$?
  if [ $rc -ne 2 ]; then
    fail "$1: exit code $rc, expected 2 ($(head -c 300 "$WORK/$1.err"))"
  elif ! grep -qF -- "$2" "$WORK/$1.err"; then
    fail "$1: the message lacks '$2': $(head -c 400 "$WORK/$1.err")"
  elif [ -e "$WORK/out-$1" ]; then
    fail "$1: an output directory was created"
  else
    ok "$1: $2"
  fi
}
# at LINE: the first line of the model that is exactly LINE
at() { grep -nxF -- "$1" "$2" | head -1 | cut -d: -f1; }

sed 's/^    feedback: random$/    feedback: randm/' "$M" > "$WORK/kind.yaml"
line=$(at "    feedback: randm" "$WORK/kind.yaml")
refuse kind "$WORK/kind.yaml:$line:15: unknown feedback 'randm' (did you mean 'random'?); expected one of symmetric, random, uniform"
# out without its target (the target block: from "target:" to the end of spike_times)
awk '/^    target:$/ { skip = 1; next } skip && /^      / { next } { skip = 0; print }' "$M" \
  > "$WORK/no_target.yaml"
refuse no_target "feedback 'fb': population 'out' has no target"
awk '{ print } /^    model: iaf_psc_exp$/ && !done { done = 1; printf "    target: {period: 500 ms, spike_times: [[10 ms]"
  for (i = 1; i < 20; i++) printf ", [10 ms]"; print "]}" }' "$M" > "$WORK/hidden_target.yaml"
refuse hidden_target "population 'hidden' has a target of its own"
awk '/^  - name: in_hid$/ { p = 1 } p && /^    plasticity:/ { p = 0; next } { print }' "$M" \
  > "$WORK/no_rule.yaml"
refuse no_rule "feedback 'fb' reaches population 'hidden', but no projection onto it has a rule that learns from an error"
sed 's/^    feedback: random$/    feedback: symmetric/; s/^    source: hidden$/    source: inputs/' "$M" \
  > "$WORK/no_forward.yaml"
refuse no_forward "feedback 'fb' is symmetric: it needs exactly one projection from 'hidden' to 'out'"
check "no_forward: the message says how many there are" grep -qF "found 0" "$WORK/no_forward.err"
sed 's/^    feedback: random$/    feedback: symmetric/' "$M" | awk '/^  - name: fb$/ {
  print "  - {name: hid_out2, source: hidden, target: out, rule: all_to_all, weight: 1 pA, delay: 1 ms}" }
  { print }' > "$WORK/two_forward.yaml"
refuse two_forward "needs exactly one projection from 'hidden' to 'out' (whose weights it sends the error back through), found 2"
sed 's/^    delay: 0.8 ms$/    delay: 0.2 ms/' "$M" > "$WORK/short_delay.yaml"
line=$(at "    delay: 0.2 ms" "$WORK/short_delay.yaml")
refuse short_delay "$WORK/short_delay.yaml:$line:5: the feedback delay 0.2 ms is shorter than the network's smallest synaptic delay (0.5 ms)"
sed 's/^    delay: 0.8 ms$/    delay: 0.85 ms/' "$M" > "$WORK/odd_delay.yaml"
refuse odd_delay "the feedback delay 0.85 ms must be a whole number of steps"
sed 's/^    source: out$/    source: inputs/' "$M" > "$WORK/from_stimulus.yaml"
refuse from_stimulus "'inputs' is a stimulus; feedback carries the error between neuron populations"
sed 's/^    scale: 1.5$/    scale: 1.5\n    weight: 1 pA/' "$M" > "$WORK/weight_key.yaml"
line=$(at "    weight: 1 pA" "$WORK/weight_key.yaml")
refuse weight_key "$WORK/weight_key.yaml:$line:5: unknown key 'weight' in feedback 'fb'; expected one of name, source, target, feedback, delay, scale"
sed 's/{projection: in_hid, every: 100 ms}/{projection: fb, every: 100 ms}/' "$M" \
  > "$WORK/record_fb.yaml"
refuse record_fb "'fb' is a feedback: it carries the error back and has no weights of its own"
finish
