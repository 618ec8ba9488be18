# Shared helpers of the end-to-end tests. Each test script is called by meson as
#   SCRIPT HEBB_BINARY SOURCE_DIR
# and prints one "ok"/"FAIL" line per check and a closing "N passed, N failed" line.
set -u
HEBB=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
# quietly COMMAND...: the command with its standard output discarded (for check, whose own
# ok/FAIL line a redirection after it would swallow)
quietly() { "$@" > /dev/null; }
# probe_population: the model-file lines of one neuron, tgt, that never fires and whose
# excitatory current I_syn_ex (binary64, tau 1 ms) shows exactly what arrives when
probe_population() {
  cat << 'EOF'
  - name: tgt
    size: 1
    model: iaf_psc_exp
    params: {C_m: 250 pF, tau_m: 10 ms, E_L: 0 mV, V_reset: 0 mV, V_th: 1e30 mV,
             tau_syn_ex: 1 ms, tau_syn_in: 1 ms, precision: double}
EOF
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
