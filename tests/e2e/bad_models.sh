#!/usr/bin/env bash
# Every file in tests/data/bad/ is a broken model whose first line says what hebb must
# answer: "# expect: LINE:COLUMN: phrase". hebb run must exit with code 2, print
# FILE:LINE:COLUMN: followed by the phrase, and leave no output directory.
. "$(dirname "$0")/lib.sh"

count=0
for f in "$SRC"/tests/data/bad/*.yaml; do
  count=$((count + 1))
  name=$(basename "$f")
  expect=$(sed -n '1s/^# expect: //p' "$f")
  pos=${expect%%: *}
  phrase=${expect#*: }
  if [ -z "$expect" ] || [ "$pos" = "$expect" ]; then
    fail "$name: no '# expect: LINE:COLUMN: phrase' header"
    continue
  fi
  "$HEBB" run "$f" -o "$WORK/out-$name" > /dev/null 2> "$WORK/err"
  rc=$?
  if [ $rc -ne 2 ]; then
    fail "$name: exit code $rc, expected 2"
  elif ! grep -qF -- "$f:$pos: " "$WORK/err"; then
    fail "$name: no '$f:$pos: ' in: $(head -c 400 "$WORK/err")"
  elif ! grep -F -- "$f:$pos: " "$WORK/err" | grep -qF -- "$phrase"; then
    fail "$name: the message at $pos lacks '$phrase': $(grep -F -- "$f:$pos" "$WORK/err")"
  elif [ -e "$WORK/out-$name" ]; then
    fail "$name: an output directory was created"
  else
    ok "$name: $pos: $phrase"
  fi
done
check "at least ten kinds of bad model file ($count)" test "$count" -ge 10
finish
