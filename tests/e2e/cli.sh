#!/usr/bin/env bash
# The command-line tool as a user meets it: the built-in model, help, the output directory,
# the printers, progress, and clear errors with exit code 2 for bad input.
. "$(dirname "$0")/lib.sh"

# `hebb` alone runs the built-in COBA model for 1 s into hebb-out/default.
(cd "$WORK" && "$HEBB" > default.out 2> default.err)
check "hebb alone exits 0" test $? -eq 0
check "hebb alone writes hebb-out/default/summary.json" test -s "$WORK/hebb-out/default/summary.json"
check "hebb alone reports the exc population" grep -q "exc" "$WORK/default.out"
check "the built-in run lasts 1 s" grep -q '"duration_ms": 1000,' "$WORK/hebb-out/default/summary.json"

"$HEBB" --help > "$WORK/help" 2>&1
check "hebb --help exits 0 and lists run" grep -q "run MODEL.yaml" "$WORK/help"
"$HEBB" run --help > "$WORK/runhelp" 2>&1
check "hebb run --help documents --threads" grep -q -- "--threads" "$WORK/runhelp"

expect_fail() { # DESCRIPTION PATTERN COMMAND...: exit code 2 and PATTERN on stderr
  local what=$1 pat=$2
  shift 2
  "$@" > /dev/null 2> "$WORK/err"
  local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$pat" "$WORK/err"; then ok "$what"; else
    fail "$what (exit $rc, stderr: $(head -c 300 "$WORK/err"))"; fi
}
expect_fail "unknown command" "unknown command 'frobnicate'" "$HEBB" frobnicate
expect_fail "run without a model" "no model file" "$HEBB" run
expect_fail "missing model file" "nope.yaml: cannot open" "$HEBB" run "$WORK/nope.yaml"
expect_fail "--threads 0" "expected a whole number from 1" "$HEBB" run "$SRC/examples/cuba.yaml" --threads 0
expect_fail "--duration with a voltage" "expected a time" "$HEBB" run "$SRC/examples/cuba.yaml" --duration "5 mV"
expect_fail "--seed negative" "--seed" "$HEBB" run "$SRC/examples/cuba.yaml" --seed -3
expect_fail "two model files" "unexpected argument" "$HEBB" run a.yaml b.yaml
expect_fail "spikes of a missing directory" "spikes.bin: cannot open" "$HEBB" spikes "$WORK/none"
printf 'garbage' > "$WORK/bad.bin" && mkdir -p "$WORK/badout" && cp "$WORK/bad.bin" "$WORK/badout/spikes.bin"
expect_fail "spikes of a damaged file" "not a Hebb spike file" "$HEBB" spikes "$WORK/badout"

# The output of a model with every input kind and state recorders.
out="$WORK/pd"
"$HEBB" run "$SRC/tests/data/poisson_delays.yaml" -o "$out" --threads 2 --duration 200ms \
  --progress -q 2> "$WORK/progress"
"$HEBB" run "$SRC/tests/data/poisson_delays.yaml" -o "$out" --threads 2 --duration 200ms \
  --progress > /dev/null 2> "$WORK/progress"
check "--progress prints progress lines" grep -q "% \] model time 200.0 ms, real-time factor" "$WORK/progress"
for key in hebb_version model seed threads dt_ms duration_ms build_wall_s sim_wall_s \
  realtime_factor neurons synapses bytes_per_synapse spikes_total synaptic_events \
  events_per_s peak_rss_bytes populations phases_s deliver update exchange barrier_wait record; do
  grep -q "\"$key\":" "$out/summary.json" || fail "summary.json lacks $key"
done
ok "summary.json has every documented key"
"$HEBB" spikes "$out" > "$WORK/spikes"
check "spike lines have 3 tab-separated fields" awk -F'\t' 'NF != 3 { exit 1 }' "$WORK/spikes"
check "spikes sorted by time, then population order, then index" awk -F'\t' '
  BEGIN { rank["exc"]=0; rank["inh"]=1; rank["relay"]=2; rank["noise"]=3; rank["burst"]=4; rank["drive"]=5 }
  { key = sprintf("%012.1f %d %09d", $3, rank[$1], $2); if (NR > 1 && key < prev) exit 1; prev = key }' "$WORK/spikes"
check "spike generator: times as given (10, 10.1 twice, 100)" bash -c \
  "[ \"\$(grep '^burst' '$WORK/spikes' | cut -f2,3 | tr '\t\n' ' ')\" = '0 10.0 0 10.1 0 10.1 1 100.0 ' ]"
"$HEBB" state "$out" > "$WORK/state"
check "state lines have 5 fields" awk -F'\t' 'NF != 5 { exit 1 }' "$WORK/state"
n=$(grep -c $'^exc\t[0-9]*\tV_m\t' "$WORK/state")
check "exc V_m sampled every 1 ms for 4 neurons over 200 ms (800 samples, got $n)" test "$n" -eq 800
n=$(grep -c $'^inh\t50\tg_in\t' "$WORK/state")
check "inh g_in of neuron 50 sampled every 0.5 ms (400 samples, got $n)" test "$n" -eq 400
check "the dc_generator drives exc from 100 ms (V_m rises)" awk -F'\t' '
  $1 == "exc" && $2 == 399 && $3 == "V_m" && $4 == "99.0" { a = $5 }
  $1 == "exc" && $2 == 399 && $3 == "V_m" && $4 == "100.0" { b = $5 }
  END { exit !(a != "" && b != "") }' "$WORK/state"

# A model that fails to parse leaves no output directory behind.
printf 'simulation: {dt: 0.1 ms}\npopulations: [{name: a, size: -1, model: iaf_psc_exp}]\n' > "$WORK/neg.yaml"
"$HEBB" run "$WORK/neg.yaml" -o "$WORK/neg-out" 2> "$WORK/err"
rc=$?
check "bad model: exit code 2" test $rc -eq 2
check "bad model: FILE:LINE:COLUMN message" grep -q "neg.yaml:2:" "$WORK/err"
check "bad model: no output directory" test ! -e "$WORK/neg-out"
# A stimulus that stops before it starts is refused, naming the population.
printf 'simulation: {dt: 0.1 ms}\npopulations: [{name: a, size: 1, model: iaf_psc_exp}]\nstimuli: [{name: d, size: 1, model: dc_generator, params: {amplitude: 10 pA, start: 5 ms, stop: -5 ms}}]\nprojections: [{source: d, target: a, rule: all_to_all}]\n' > "$WORK/stop.yaml"
expect_fail "dc_generator with stop < start" "population 'd': start and stop must satisfy" "$HEBB" run "$WORK/stop.yaml" -o "$WORK/stop-out"
# Plasticity: a small network under STDP records its weights; hebb weights prints them and
# hebb rules lists the rule.
out="$WORK/stdp"
"$HEBB" run "$SRC/tests/data/good/stdp_small.yaml" -o "$out" --threads 2 -q
rc=$?
check "plastic model: exit code 0" test $rc -eq 0
check "plastic model: weights.bin written" test -s "$out/weights.bin"
"$HEBB" weights "$out" > "$WORK/weights"
check "weight lines have 5 tab-separated fields" awk -F'\t' 'NF != 5 { bad = 1 } END { exit bad || NR == 0 }' "$WORK/weights"
check "weights sorted by time, then projection order, source, target" awk -F'\t' '
  BEGIN { rank["learn"] = 0; rank["post_to_post"] = 1 }
  { key = sprintf("%012.1f %d %09d %09d", $2, rank[$1], $3, $4); if (NR > 1 && key < prev) bad = 1; prev = key }
  END { exit bad }' "$WORK/weights"
n=$(grep -c $'^learn\t' "$WORK/weights")
check "learn: 400 synapses at 50, 100, 150, 200 ms (1600 lines, got $n)" test "$n" -eq 1600
n=$(grep -c $'^post_to_post\t' "$WORK/weights")
check "post_to_post (unnamed): 40 synapses at 100, 200 ms (80 lines, got $n)" test "$n" -eq 80
check "snapshots at 50, 100, 150, 200 ms only" bash -c \
  "[ \"\$(cut -f2 '$WORK/weights' | sort -n -u | tr '\n' ' ')\" = '50.0 100.0 150.0 200.0 ' ]"
check "STDP changes most weights between the first and the last snapshot" awk -F'\t' '
  $1 == "learn" && $2 == "50.0" { a[na++] = $5 }
  $1 == "learn" && $2 == "200.0" { b[nb++] = $5 }
  END { if (na != nb || na == 0) exit 1; for (i = 0; i < na; i++) ch += a[i] != b[i]; exit ch < na / 2 }' "$WORK/weights"
check "plastic weights stay within [0, Wmax = 600 pA]" awk -F'\t' '
  $1 == "learn" && ($5 < 0 || $5 > 600) { bad = 1 } END { exit bad }' "$WORK/weights"
check "the static projection keeps its weights (10 pA)" awk -F'\t' '
  $1 == "post_to_post" && $5 != 10 { bad = 1 } END { exit bad }' "$WORK/weights"
"$HEBB" weights "$out" --projection post_to_post > "$WORK/weights-pp"
check "--projection post_to_post prints exactly its lines" bash -c \
  "[ -s '$WORK/weights-pp' ] && grep \$'^post_to_post\t' '$WORK/weights' | cmp -s - '$WORK/weights-pp'"
expect_fail "weights of an unknown projection" "no projection 'nope'" "$HEBB" weights "$out" --projection nope
"$HEBB" rules > "$WORK/rules"
check "hebb rules exits 0 and lists stdp" grep -q '^stdp: ' "$WORK/rules"
for p in tau_plus tau_minus lambda alpha mu_plus mu_minus Wmax; do
  check "hebb rules lists stdp parameter $p" grep -qE "^  param +$p " "$WORK/rules"
done
check "hebb rules lists the stdp schemes" \
  grep -qE '^  option +scheme +all_to_all\|nearest_symmetric\|nearest_restricted\|nearest_presynaptic$' \
  "$WORK/rules"
finish
