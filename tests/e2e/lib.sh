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
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
