#!/usr/bin/env bash
# B1 COBA in Auryn: its examples/sim_coba_benchmark (Vogels & Abbott 2005, forward Euler,
# 0.8 ms delays), without output. See auryn.sh.
exec "$(dirname "$0")/auryn.sh" sim_coba_benchmark --fast "$@"
