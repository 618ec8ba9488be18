#!/usr/bin/env bash
# `hebb vanrossum`: the van Rossum distance between a run's recorded spikes and a target
# file. A spike_generator population with known spike times is run and compared with its
# own spikes (0, in both target formats), with a shifted copy (the closed form
# 1 - e^{-|d|/tau} per isolated spike pair), per window and with a spike moved across a
# window bound; then the errors of bad input, with exit code 2.
. "$(dirname "$0")/lib.sh"

# Spikes 400 ms (40 tau) apart within a neuron, so pairs do not interact (e^-40).
cat > "$WORK/gen.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 1000 ms, seed: 1}
populations:
  - {name: dummy, size: 1, model: iaf_psc_exp}
stimuli:
  - name: gen
    size: 4
    model: spike_generator
    spike_times:
      - [100 ms, 600 ms]
      - [300 ms]
      - [498 ms]
      - []
  - name: unrecorded
    size: 1
    model: spike_generator
    spike_times: [[50 ms]]
  - {name: noise, size: 5, model: poisson_generator, params: {rate: 300 Hz}}
record:
  spikes: [dummy, gen, noise]
EOF
out="$WORK/out"
"$HEBB" run "$WORK/gen.yaml" -o "$out" -q
check "the model runs" test -s "$out/summary.json"

# rel_ok FILE KEY WINDOW WANT: the distance of line "KEY<TAB>WINDOW<TAB>..." equals WANT to
# 1e-12 relative (or is exactly 0 when WANT is 0)
rel_ok() {
  awk -F'\t' -v k="$2" -v w="$3" -v want="$4" '
    $1 == k && $2 == w { seen = 1; d = $3 - want; if (d < 0) d = -d
      if (want == 0 ? $3 != 0 : d > 1e-12 * want) bad = 1 }
    END { exit !(seen && !bad) }' "$1"
}

# The run against its own spikes: 0 for every neuron, in both target formats.
"$HEBB" spikes "$out" > "$WORK/own.tsv"
"$HEBB" vanrossum "$out" --population gen --target "$WORK/own.tsv" > "$WORK/own.out"
check "own spikes (hebb spikes format): exit 0" test $? -eq 0
check "own spikes: 4 neuron lines and a total" test "$(wc -l < "$WORK/own.out")" -eq 5
check "own spikes: every distance is 0" awk -F'\t' 'NF != 3 || $2 != "0" || $3 != "0" { exit 1 }' "$WORK/own.out"
grep $'^gen\t' "$WORK/own.tsv" | cut -f2,3 | sort -k2,2nr > "$WORK/own2.tsv" # two columns, unsorted
"$HEBB" vanrossum "$out" -p gen -t "$WORK/own2.tsv" > "$WORK/own2.out"
check "own spikes (index<TAB>time, unsorted): the same output" cmp -s "$WORK/own.out" "$WORK/own2.out"
# Poisson spikes on every grid time: read back from the printed decimals they must still
# equal the run's times exactly (3 * 0.1 is not 0.3 in binary), per 100 ms window too.
"$HEBB" vanrossum "$out" -p noise -t "$WORK/own.tsv" --window 100ms > "$WORK/noise.out"
check "own Poisson spikes: 10 windows of 5 neurons and a total" test "$(wc -l < "$WORK/noise.out")" -eq 60
check "own Poisson spikes: every distance is exactly 0" awk -F'\t' '$3 != "0" { exit 1 }' "$WORK/noise.out"
check "the Poisson population spiked" test "$(grep -c $'^noise\t' "$WORK/own.tsv")" -gt 1000

# Shifted by +2 ms, tau 10 ms: 1 - e^{-0.2} per spike.
awk -F'\t' '$1 == "gen" { printf "%s\t%.1f\n", $2, $3 + 2 }' "$WORK/own.tsv" > "$WORK/shift.tsv"
"$HEBB" vanrossum "$out" -p gen -t "$WORK/shift.tsv" --tau 10ms > "$WORK/shift.out"
one=$(awk 'BEGIN { printf "%.17g", 1 - exp(-0.2) }')
two=$(awk 'BEGIN { printf "%.17g", 2 * (1 - exp(-0.2)) }')
three=$(awk 'BEGIN { printf "%.17g", 1 - exp(-0.3) }')
check "shifted 2 ms: neuron 0 (two spikes) 2 (1 - e^-0.2)" rel_ok "$WORK/shift.out" 0 0 "$two"
check "shifted 2 ms: neuron 1 1 - e^-0.2" rel_ok "$WORK/shift.out" 1 0 "$one"
check "shifted 2 ms: neuron 2 (498 -> 500) 1 - e^-0.2" rel_ok "$WORK/shift.out" 2 0 "$one"
check "shifted 2 ms: silent neuron 3 is 0" rel_ok "$WORK/shift.out" 3 0 0
check "shifted 2 ms: the total" rel_ok "$WORK/shift.out" total 0 \
  "$(awk 'BEGIN { printf "%.17g", 4 * (1 - exp(-0.2)) }')"
# tau 20 ms halves the exponent
"$HEBB" vanrossum "$out" -p gen -t "$WORK/shift.tsv" --tau 20ms > "$WORK/shift20.out"
check "--tau 20ms: neuron 1 1 - e^-0.1" rel_ok "$WORK/shift20.out" 1 0 \
  "$(awk 'BEGIN { printf "%.17g", 1 - exp(-0.1) }')"

# Windows of 500 ms: [0, 500) and [500, 1000]. Neuron 2's spike at 498 ms, target 501 ms,
# is unmatched in both windows (1/2 each); a target spike at the run's end (1000 ms) counts
# in the last window.
awk -F'\t' '$1 == "gen" { t = $3 + ($2 == 2 ? 3 : 2); printf "%s\t%.1f\n", $2, t }' \
  "$WORK/own.tsv" > "$WORK/win.tsv"
printf '3\t1000\n' >> "$WORK/win.tsv"
"$HEBB" vanrossum "$out" -p gen -t "$WORK/win.tsv" --window 500ms > "$WORK/win.out"
check "--window: 2 windows of 4 neurons and a total" test "$(wc -l < "$WORK/win.out")" -eq 10
check "--window: neuron 0 in [0, 500)" rel_ok "$WORK/win.out" 0 0 "$one"
check "--window: neuron 0 in [500, 1000]" rel_ok "$WORK/win.out" 0 500 "$one"
check "--window: neuron 1 only in [0, 500)" rel_ok "$WORK/win.out" 1 500 0
check "--window: neuron 2 unmatched in [0, 500)" rel_ok "$WORK/win.out" 2 0 0.5
check "--window: neuron 2 unmatched in [500, 1000]" rel_ok "$WORK/win.out" 2 500 0.5
check "--window: a target spike at the run's end counts" rel_ok "$WORK/win.out" 3 500 0.5
check "--window: totals" rel_ok "$WORK/win.out" total 0 "$(awk 'BEGIN { printf "%.17g", 2 * (1 - exp(-0.2)) + 0.5 }')"
"$HEBB" vanrossum "$out" -p gen -t "$WORK/win.tsv" > "$WORK/nowin.out"
check "no window: neuron 2 1 - e^-0.3" rel_ok "$WORK/nowin.out" 2 0 "$three"
check "no window: the total" rel_ok "$WORK/nowin.out" total 0 "$(awk 'BEGIN { printf "%.17g", 3 * (1 - exp(-0.2)) + 1 - exp(-0.3) + 0.5 }')"
# A target spike after the run's end is ignored, with a warning.
printf '1\t1000.5\n' >> "$WORK/win.tsv"
"$HEBB" vanrossum "$out" -p gen -t "$WORK/win.tsv" > "$WORK/late.out" 2> "$WORK/late.err"
check "a target spike after the end: exit 0, a warning" grep -q "1 target spike after the run's end" "$WORK/late.err"
check "a target spike after the end: not counted" cmp -s "$WORK/nowin.out" "$WORK/late.out"

# Dense trains (spikes within tau of each other) against the O(n m) closed form, computed
# here in awk: 1/2 [sum e^-|u-u'|/tau + sum e^-|v-v'|/tau - 2 sum e^-|u-v|/tau].
cat > "$WORK/dense.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 100 ms, seed: 1}
populations:
  - {name: dummy, size: 1, model: iaf_psc_exp}
stimuli:
  - name: gen
    size: 1
    model: spike_generator
    spike_times: [[3 ms, 7.5 ms, 8 ms, 20 ms, 21.3 ms, 40 ms, 41 ms, 41 ms]]
record:
  spikes: [gen]
EOF
"$HEBB" run "$WORK/dense.yaml" -o "$WORK/dense" -q
printf '# a dense target\n0\t4.2\n0 9.9\n0\t19\n0\t55.55  # trailing comment\n0\t41\n' > "$WORK/dense.tsv"
want=$(awk 'function k(a, b) { d = a - b; if (d < 0) d = -d; return exp(-d / 10) }
  BEGIN { n = split("3 7.5 8 20 21.3 40 41 41", u, " "); m = split("4.2 9.9 19 55.55 41", v, " ")
    for (i = 1; i <= n; i++) for (j = 1; j <= n; j++) s += k(u[i], u[j])
    for (i = 1; i <= m; i++) for (j = 1; j <= m; j++) s += k(v[i], v[j])
    for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) s -= 2 * k(u[i], v[j])
    printf "%.17g", s / 2 }')
"$HEBB" vanrossum "$WORK/dense" -p gen -t "$WORK/dense.tsv" > "$WORK/dense.out"
awk -F'\t' -v want="$want" '$1 == "0" { d = $3 - want; if (d < 0) d = -d; exit !(d <= 1e-9 * want) }' "$WORK/dense.out"
check "dense trains: the closed form ($want)" test $? -eq 0

expect_fail() { # DESCRIPTION PATTERN COMMAND...: exit code 2 and PATTERN on stderr
  local what=$1 pat=$2
  shift 2
  "$@" > /dev/null 2> "$WORK/err"
  local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$pat" "$WORK/err"; then ok "$what"; else
    fail "$what (exit $rc, stderr: $(head -c 300 "$WORK/err"))"; fi
}
printf '0\t100\n1\t300\n1\tabc\n' > "$WORK/bad_time.tsv"
expect_fail "bad target line: FILE:LINE" "bad_time.tsv:3: spike time 'abc'" \
  "$HEBB" vanrossum "$out" -p gen -t "$WORK/bad_time.tsv"
printf '0\t100\n\n# fine so far\n1 2 3 4\n' > "$WORK/bad_fields.tsv"
expect_fail "target line of 4 fields" "bad_fields.tsv:4: 4 fields; expected 'index<TAB>time_ms'" \
  "$HEBB" vanrossum "$out" -p gen -t "$WORK/bad_fields.tsv"
printf '0\t100\n-1\t5\n' > "$WORK/bad_index.tsv"
expect_fail "negative neuron index" "bad_index.tsv:2: neuron index '-1'; expected a whole number from 0" \
  "$HEBB" vanrossum "$out" -p gen -t "$WORK/bad_index.tsv"
printf 'gen\t4\t5\n' > "$WORK/range.tsv"
expect_fail "neuron index out of range" "range.tsv:1: neuron index 4 is out of range" \
  "$HEBB" vanrossum "$out" -p gen -t "$WORK/range.tsv"
printf '0\t-5\n' > "$WORK/neg.tsv"
expect_fail "negative spike time" "neg.tsv:1: spike time '-5'" \
  "$HEBB" vanrossum "$out" -p gen -t "$WORK/neg.tsv"
expect_fail "unknown population" "no population 'nope' in this run (it has: dummy, gen, unrecorded, noise)" \
  "$HEBB" vanrossum "$out" -p nope -t "$WORK/own.tsv"
expect_fail "a population not recorded" "emitted 1 spike but none were recorded" \
  "$HEBB" vanrossum "$out" -p unrecorded -t "$WORK/own.tsv"
expect_fail "missing output directory" "spikes.bin: cannot open" \
  "$HEBB" vanrossum "$WORK/none" -p gen -t "$WORK/own.tsv"
expect_fail "missing target file" "nofile.tsv: cannot open" \
  "$HEBB" vanrossum "$out" -p gen -t "$WORK/nofile.tsv"
mkdir -p "$WORK/unfinished" && cp "$out/spikes.bin" "$WORK/unfinished/"
expect_fail "an unfinished run (no summary.json)" "summary.json: cannot open" \
  "$HEBB" vanrossum "$WORK/unfinished" -p gen -t "$WORK/own.tsv"
expect_fail "--tau 0" "--tau: expected a positive" "$HEBB" vanrossum "$out" -p gen -t "$WORK/own.tsv" --tau 0
expect_fail "--window with a voltage" "--window: expected a time" "$HEBB" vanrossum "$out" -p gen -t "$WORK/own.tsv" --window 5mV
expect_fail "no --target" "--target is required" "$HEBB" vanrossum "$out" -p gen
"$HEBB" vanrossum --help > "$WORK/help"
check "--help documents the output lines" grep -q "neuron<TAB>window_start_ms<TAB>distance" "$WORK/help"

finish
