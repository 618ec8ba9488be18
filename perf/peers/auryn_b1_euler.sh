#!/usr/bin/env bash
# B1 with forward Euler in Auryn: the same program as auryn_b1.sh (Auryn integrates B1 with
# forward Euler), for the b1_euler case, whose Hebb model uses the same scheme.
exec "$(dirname "$0")/auryn_b1.sh" "$@"
