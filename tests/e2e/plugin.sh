#!/usr/bin/env bash
# Plasticity rules loaded at run time (hebb_rule_load). Builds the template plugin
# examples/plugins/my_stdp against the source tree's rule.h (nothing is installed), then:
#   - hebb rules --plugin lists it with its origin; loading a file twice is a no-op;
#   - B3 (examples/coba_stdp.yaml) with the plugin, named under plugins: relative to the
#     model file, gives weights bit-identical to the built-in stdp in its additive
#     all-to-all configuration, and weights that moved;
#   - hebb run --plugin loads a rule for a model file that names it;
#   - refused with a clear message and exit status 2: a plugin built for another interface
#     version, a missing file, a file that is not a shared object, a shared object without
#     hebb_rule_entry, a rule without on_post, a rule with a bad trace, a rule whose name is
#     taken (built in, or by another plugin), a rule name that is not an identifier; in a model
#     file, at the path's line and column;
#   - under valgrind (when installed): no memory errors and no definite leaks;
#   - finally, plugin vs built-in speed on B3 for 2 s (3 runs each, medians), printed only.
. "$(dirname "$0")/lib.sh"

CC=${CC:-cc}
if ! command -v "$CC" > /dev/null; then
  echo "no C compiler ($CC) to build plugins"
  exit 77
fi

# <hebb/rule.h> as an installation provides it, from the source tree
mkdir -p "$WORK/include/hebb" "$WORK/m/lib"
cp "$SRC/rules/rule.h" "$WORK/include/hebb/rule.h"
ABI=$(awk '$1 == "#define" && $2 == "HEBB_RULE_ABI" { print $3 }' "$SRC/rules/rule.h")
# Hebb's floating-point flags (no contraction into fused multiply-adds) and, where the
# compiler has it, the machine's vector width as Hebb's native build
CFLAGS="-std=c11 -O3 -ffp-contract=off -fno-trapping-math -Wall -Wextra -Werror -fPIC -shared"
if echo 'int x;' | "$CC" -march=native -x c -c -o /dev/null - 2> /dev/null; then
  CFLAGS="$CFLAGS -march=native"
fi
build() { # OUTPUT SOURCE [FLAGS...]
  local out=$1 src=$2
  shift 2
  # shellcheck disable=SC2086
  "$CC" $CFLAGS -I"$WORK/include" "$@" -o "$out" "$src" -lm 2> "$out.log"
}

PLUGIN=$WORK/m/lib/my_stdp.so
check "the template compiles against <hebb/rule.h>" \
  build "$PLUGIN" "$SRC/examples/plugins/my_stdp/my_stdp.c"
[ -f "$PLUGIN" ] || { cat "$PLUGIN.log"; finish; exit 1; }

# --- hebb rules --plugin --------------------------------------------------------------------
"$HEBB" rules --plugin "$PLUGIN" > "$WORK/rules" 2> "$WORK/rules.err"
check "hebb rules --plugin exits 0" test $? -eq 0
check "hebb rules lists the plugin rule" grep -q '^my_stdp: template plugin' "$WORK/rules"
check "hebb rules gives its origin" grep -qxF "  plugin $PLUGIN" "$WORK/rules"
for p in tau_plus tau_minus lambda alpha Wmax; do
  check "hebb rules lists my_stdp parameter $p" \
    awk -v p="$p" '/^[a-z]/ { r = $1 } r == "my_stdp:" && $1 == "param" && $2 == p { f = 1 }
      END { exit !f }' "$WORK/rules"
done
check "hebb rules still lists the built-in stdp, without an origin" \
  awk '/^[a-z]/ { r = $1 } r == "stdp:" && $1 == "plugin" { bad = 1 } $1 == "stdp:" { f = 1 }
    END { exit !(f && !bad) }' "$WORK/rules"
(cd "$WORK/m/lib" && "$HEBB" rules --plugin my_stdp.so --plugin ./my_stdp.so \
  --plugin="$PLUGIN") > "$WORK/rules2" 2>&1
check "loading the same file three times (three spellings) is a no-op" \
  test $? -eq 0 -a "$(grep -c '^my_stdp:' "$WORK/rules2")" -eq 1
check "a bare file name means the current directory" \
  grep -qxF "  plugin my_stdp.so" "$WORK/rules2"

# --- bit-identical to the built-in stdp on B3 -------------------------------------------------
# B3 for 1 s with snapshots every 500 ms; the plugin's model names it under plugins:,
# relative to the model file, and drops the parameters it does not have (the additive
# all-to-all case is its only one).
sed -e 's/every: 5 s/every: 500 ms/' "$SRC/examples/coba_stdp.yaml" > "$WORK/m/builtin.yaml"
{
  echo "plugins: [lib/my_stdp.so]"
  sed -e 's/rule: stdp,/rule: my_stdp,/; s/mu_plus: 0, mu_minus: 0, //; s/, scheme: all_to_all//' \
    "$WORK/m/builtin.yaml"
} > "$WORK/m/plugin.yaml"
check "the B3 model has the additive all-to-all stdp that the plugin replaces" \
  grep -q 'rule: my_stdp, tau_plus: 20 ms, tau_minus: 20 ms, lambda: 0.01, alpha: 1.05,' \
  "$WORK/m/plugin.yaml"
check "B3 with the built-in stdp runs" \
  "$HEBB" run "$WORK/m/builtin.yaml" -d 1s -o "$WORK/out-builtin" -q
# from another directory: the plugin path is relative to the model file, not to here
(cd / && "$HEBB" run "$WORK/m/plugin.yaml" -d 1s -o "$WORK/out-plugin" -q 2> "$WORK/run.err")
check "B3 with the plugin (plugins: key, relative path) runs" test $? -eq 0
"$HEBB" weights "$WORK/out-builtin" > "$WORK/w-builtin" 2> /dev/null
"$HEBB" weights "$WORK/out-plugin" > "$WORK/w-plugin" 2> /dev/null
check "B3 records 2 snapshots of about 204 800 plastic synapses" \
  awk 'END { exit !(NR > 2 * 190000 && NR < 2 * 220000) }' "$WORK/w-builtin"
check "the plastic weights moved away from 6 nS" \
  awk -F'\t' '$5 != 6 { n++ } END { exit !(n > 100000) }' "$WORK/w-builtin"
check "plugin and built-in weights are equal bit for bit" cmp -s "$WORK/w-builtin" "$WORK/w-plugin"
check "and so are the spikes" \
  cmp -s <("$HEBB" spikes "$WORK/out-builtin") <("$HEBB" spikes "$WORK/out-plugin")

# hebb run --plugin: a model that names the rule without a plugins: key
sed -e '/^plugins:/d' "$WORK/m/plugin.yaml" > "$WORK/m/noplugins.yaml"
"$HEBB" run "$WORK/m/noplugins.yaml" -d 100ms -o "$WORK/out-noplugins" -q 2> "$WORK/nop.err"
check "without the plugin, my_stdp is an unknown rule (exit 2)" \
  test $? -eq 2 -a "$(grep -c "unknown plasticity rule 'my_stdp'" "$WORK/nop.err")" -eq 1
check "hebb run --plugin loads it before reading the model" \
  "$HEBB" run "$WORK/m/noplugins.yaml" --plugin "$PLUGIN" -d 100ms -o "$WORK/out-cli" -q
check "--plugin and a plugins: key for the same file" \
  "$HEBB" run "$WORK/m/plugin.yaml" --plugin "$PLUGIN" -d 100ms -o "$WORK/out-both" -q
sed -e 's/alpha: 1.05,/alpha: 1.05, mu_plus: 0,/' "$WORK/m/plugin.yaml" > "$WORK/m/badparam.yaml"
"$HEBB" run "$WORK/m/badparam.yaml" -d 100ms -o "$WORK/out-bp" -q 2> "$WORK/bp.err"
check "a plugin rule's keys are checked in the model file (mu_plus is not one)" \
  grep -qE "badparam.yaml:[0-9]+:[0-9]+: .*mu_plus" "$WORK/bp.err"

# --- refusals ---------------------------------------------------------------------------------
cat > "$WORK/tiny.c" << 'EOF'
/* a minimal rule whose faults are chosen with -D */
#include <hebb/rule.h>
#ifndef TINY_ABI
#define TINY_ABI HEBB_RULE_ABI
#endif
#ifndef TINY_NAME
#define TINY_NAME "tiny"
#endif
static void on_pre(const hebb_rule_ctx *c, const hebb_rule_pre *s) {
  (void)c, (void)s;
}
__attribute__((unused)) static void on_post(const hebb_rule_ctx *c, const hebb_rule_post *s) {
  (void)c, (void)s;
}
#ifdef BAD_TRACE
static const hebb_rule_trace traces[] = {{.tau_param = 3, .mode_option = -1}};
#endif
static const hebb_rule rule = {
    .abi = TINY_ABI,
    .name = TINY_NAME,
    .doc = "a test rule",
    .on_pre = on_pre,
#ifndef NO_HOOK
    .on_post = on_post,
#endif
#ifdef BAD_TRACE
    .pre = traces,
    .npre = 1,
#endif
};
#ifndef NO_ENTRY
const hebb_rule *hebb_rule_entry(void) {
  return &rule;
}
#else
const void *not_the_entry(void) {
  return &rule;
}
#endif
EOF
if build "$WORK/m/bad_abi.so" "$WORK/tiny.c" -D'TINY_ABI=(HEBB_RULE_ABI + 1)' &&
  build "$WORK/m/no_entry.so" "$WORK/tiny.c" -DNO_ENTRY &&
  build "$WORK/m/no_hook.so" "$WORK/tiny.c" -DNO_HOOK &&
  build "$WORK/m/bad_trace.so" "$WORK/tiny.c" -DBAD_TRACE &&
  build "$WORK/m/dup_builtin.so" "$WORK/tiny.c" -D'TINY_NAME="stdp"' &&
  build "$WORK/m/dup_plugin.so" "$WORK/tiny.c" -D'TINY_NAME="my_stdp"' &&
  build "$WORK/m/bad_name.so" "$WORK/tiny.c" -D'TINY_NAME="my rule"' &&
  build "$WORK/m/tiny.so" "$WORK/tiny.c"; then
  ok "the test plugins compile"
else
  fail "the test plugins compile"
  cat "$WORK"/m/*.so.log
fi
cp "$SRC/examples/coba.yaml" "$WORK/m/text.so"

# refused PLUGIN MESSAGE [PLUGIN...]: hebb rules with the plugins exits 2 with
# "hebb: MESSAGE" (the whole line) on stderr
refused() {
  local msg=$1 what=$2
  shift 2
  local args=()
  for p in "$@"; do args+=(--plugin "$p"); done
  "$HEBB" rules "${args[@]}" > /dev/null 2> "$WORK/err"
  local rc=$?
  if [ $rc -eq 2 ] && grep -qxF "hebb: $msg" "$WORK/err"; then
    ok "$what"
  else
    fail "$what (exit $rc)"
    sed 's/^/  got: /' "$WORK/err"
    echo "  expected: hebb: $msg"
  fi
}
refused "$WORK/m/bad_abi.so: rule 'tiny' was built for plasticity interface version $((ABI + 1)); this Hebb has version $ABI; rebuild it against this hebb" \
  "another interface version: refused, with both versions" "$WORK/m/bad_abi.so"
refused "$WORK/m/nothing.so: cannot load the plugin: cannot open shared object file: No such file or directory" \
  "a missing file" "$WORK/m/nothing.so"
"$HEBB" rules --plugin "$WORK/m/text.so" > /dev/null 2> "$WORK/err"
check "a file that is not a shared object: the loader's reason (exit 2)" \
  test $? -eq 2 -a "$(grep -c "^hebb: $WORK/m/text.so: cannot load the plugin: invalid ELF header$" "$WORK/err")" -eq 1
refused "$WORK/m/no_entry.so: not a Hebb plugin: it has no symbol hebb_rule_entry; expected a shared object that exports const hebb_rule *hebb_rule_entry(void) (see examples/plugins)" \
  "a shared object without hebb_rule_entry" "$WORK/m/no_entry.so"
"$HEBB" rules --plugin "$WORK/m/no_hook.so" > /dev/null 2> "$WORK/err"
check "a rule without on_post: refused (exit 2) by the engine's own check" \
  test $? -eq 2 -a "$(grep -c "no_hook.so: rule 'tiny' is not usable: .*lacks a hook" "$WORK/err")" -eq 1
"$HEBB" rules --plugin "$WORK/m/bad_trace.so" > /dev/null 2> "$WORK/err"
check "a trace whose time constant is not a parameter: refused (exit 2)" \
  test $? -eq 2 -a "$(grep -c "bad_trace.so: rule 'tiny' is not usable: a trace names a parameter" "$WORK/err")" -eq 1
refused "$WORK/m/dup_builtin.so: a rule named 'stdp' is already built in; rename this one" \
  "a plugin rule with a built-in rule's name" "$WORK/m/dup_builtin.so"
refused "$WORK/m/dup_plugin.so: a rule named 'my_stdp' is already loaded from $PLUGIN; rename this one" \
  "a plugin rule with another plugin's rule's name" "$PLUGIN" "$WORK/m/dup_plugin.so"
refused "$WORK/m/bad_name.so: the rule's name 'my rule' is not an identifier of at most 63 characters (letters, digits, '_')" \
  "a rule name that is not an identifier" "$WORK/m/bad_name.so"
"$HEBB" rules --plugin "$WORK/m/tiny.so" --plugin "$PLUGIN" > "$WORK/rules3" 2>&1
check "two plugins load side by side" \
  test $? -eq 0 -a "$(grep -cE '^(tiny|my_stdp): ' "$WORK/rules3")" -eq 2
"$HEBB" run "$WORK/m/noplugins.yaml" --plugin "$WORK/m/bad_abi.so" -o "$WORK/out-x" -q \
  2> "$WORK/err"
check "hebb run --plugin with another interface version exits 2 with the message" \
  test $? -eq 2 -a "$(grep -c "bad_abi.so: rule 'tiny' was built for plasticity interface version" "$WORK/err")" -eq 1

# in a model file: at the line and column of the path
cat > "$WORK/m/bad.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 10 ms}
plugins:
  - bad_abi.so
  - lib/my_stdp.so
  - nothing.so
  - no_entry.so
  - [not, a, path]
populations:
  - {name: a, size: 1, model: iaf_psc_exp}
projections:
  - {source: a, target: a, rule: all_to_all, weight: 1 pA, plasticity: {rule: my_stdp}}
EOF
"$HEBB" run "$WORK/m/bad.yaml" -o "$WORK/out-bad" -q 2> "$WORK/bad.err"
check "a model file with bad plugins: exit 2" test $? -eq 2
check "another interface version, at its line:column" grep -qxF \
  "$WORK/m/bad.yaml:3:5: $WORK/m/bad_abi.so: rule 'tiny' was built for plasticity interface version $((ABI + 1)); this Hebb has version $ABI; rebuild it against this hebb" \
  "$WORK/bad.err"
check "a missing file, at its line:column" grep -qF \
  "$WORK/m/bad.yaml:5:5: $WORK/m/nothing.so: cannot load the plugin: cannot open shared object file" \
  "$WORK/bad.err"
check "no hebb_rule_entry, at its line:column" grep -qF \
  "$WORK/m/bad.yaml:6:5: $WORK/m/no_entry.so: not a Hebb plugin" "$WORK/bad.err"
check "a list instead of a path, at its line:column" grep -qF "$WORK/m/bad.yaml:7:5: a plugin is a sequence" \
  "$WORK/bad.err"
check "the good plugin among them is loaded: my_stdp is known (4 problems in all)" \
  test "$(grep -c 'my_stdp' "$WORK/bad.err")" -eq 0 -a \
  "$(grep -c '^hebb: 4 problems in the model' "$WORK/bad.err")" -eq 1
cat > "$WORK/m/notalist.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 10 ms}
plugins: lib/my_stdp.so
populations:
  - {name: a, size: 1, model: iaf_psc_exp}
EOF
"$HEBB" run "$WORK/m/notalist.yaml" -o "$WORK/out-nl" -q 2> "$WORK/nl.err"
check "plugins: must be a list" grep -qF "notalist.yaml:2:10: plugins is the scalar 'lib/my_stdp.so'; expected a list of paths to shared objects" \
  "$WORK/nl.err"

# --- valgrind -----------------------------------------------------------------------------
# (not on a sanitizer build: valgrind cannot run it, and the sanitizer checks the same)
SANITIZED=0
grep -qaE '__(a|t|ub)san_' "$HEBB" && SANITIZED=1
if [ $SANITIZED -eq 1 ]; then
  echo "skip valgrind checks and timing: hebb is built with a sanitizer"
elif command -v valgrind > /dev/null; then
  cat > "$WORK/m/tiny.yaml" << 'EOF'
simulation: {dt: 0.1 ms, duration: 200 ms}
plugins: [lib/my_stdp.so]
populations:
  - {name: post, size: 2, model: iaf_psc_exp}
stimuli:
  - {name: pre, size: 20, model: poisson_generator, params: {rate: 50 Hz}}
projections:
  - {name: plastic, source: pre, target: post, rule: all_to_all, weight: 300 pA, delay: 1 ms,
     plasticity: {rule: my_stdp, lambda: 0.05, Wmax: 600 pA}}
record:
  weights: [{projection: plastic, every: 100 ms}]
EOF
  VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99)
  "${VG[@]}" "$HEBB" run "$WORK/m/tiny.yaml" -t 1 -o "$WORK/out-vg" -q 2> "$WORK/vg1.err"
  check "valgrind: a run with a plugin: no errors, no definite leaks" test $? -eq 0
  "${VG[@]}" "$HEBB" rules --plugin "$PLUGIN" --plugin "$PLUGIN" --plugin "$WORK/m/tiny.so" \
    > /dev/null 2> "$WORK/vg2.err"
  check "valgrind: hebb rules with plugins loaded twice: clean" test $? -eq 0
  for bad in bad_abi no_entry no_hook bad_trace dup_builtin text nothing; do
    "${VG[@]}" "$HEBB" rules --plugin "$WORK/m/$bad.so" > /dev/null 2> "$WORK/vg3.err"
    check "valgrind: refusing $bad.so: clean (exit 2)" test $? -eq 2
  done
  "${VG[@]}" "$HEBB" run "$WORK/m/bad.yaml" -o "$WORK/out-vgbad" -q > /dev/null 2>&1
  check "valgrind: a model file with bad plugins: clean (exit 2)" test $? -eq 2
else
  echo "skip valgrind checks: valgrind is not installed"
fi

# --- speed: plugin vs built-in on B3, 2 s -----------------------------------------------------
# Interleaved runs on one thread (the rule's cost without barrier noise); the simulation
# wall time and the plasticity phase from summary.json. Printed, not asserted: it is noisy.
sim_s() { awk -F': ' '/"sim_wall_s"/ { sub(/,$/, "", $2); print $2 }' "$1/summary.json"; }
plast_s() { sed -n 's/.*"plasticity": \([0-9.e+-]*\).*/\1/p' "$1/summary.json"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
RUNS=${HEBB_PLUGIN_RUNS:-3}
[ $SANITIZED -eq 1 ] && RUNS=0
: > "$WORK/t-builtin"
: > "$WORK/t-plugin"
timing_ok=1
for _ in $(seq "$RUNS"); do
  for kind in builtin plugin; do
    if "$HEBB" run "$WORK/m/$kind.yaml" -d 2s -t 1 -o "$WORK/time-$kind" -q; then
      echo "$(sim_s "$WORK/time-$kind") $(plast_s "$WORK/time-$kind")" >> "$WORK/t-$kind"
    else
      timing_ok=0
    fi
  done
done
[ "$RUNS" -gt 0 ] && check "the timing runs completed" test $timing_ok -eq 1
if [ "$RUNS" -gt 0 ] && [ $timing_ok -eq 1 ]; then
  for kind in builtin plugin; do
    eval "sim_$kind=$(cut -d' ' -f1 "$WORK/t-$kind" | median)"
    eval "pl_$kind=$(cut -d' ' -f2 "$WORK/t-$kind" | median)"
    echo "timing $kind: simulation s: $(cut -d' ' -f1 "$WORK/t-$kind" | tr '\n' ' ')" \
      "plasticity phase s: $(cut -d' ' -f2 "$WORK/t-$kind" | tr '\n' ' ')"
  done
  # shellcheck disable=SC2154
  awk -v sb="$sim_builtin" -v sp="$sim_plugin" -v pb="$pl_builtin" -v pp="$pl_plugin" 'BEGIN {
    printf "timing B3 2 s, 1 thread, medians of '"$RUNS"': simulation built-in %.3f s, plugin %.3f s, ratio plugin/built-in %.3f\n", sb, sp, sp / sb
    printf "timing plasticity phase: built-in %.3f s, plugin %.3f s, ratio %.3f\n", pb, pp, pp / pb }'
fi
finish
