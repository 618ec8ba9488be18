#!/usr/bin/env bash
# B8 Brunel static in Auryn: its examples/sim_brunel2k (8000 E + 2000 I, p = 0.1, 20 kHz
# Poisson drive per neuron). See auryn.sh.
exec "$(dirname "$0")/auryn.sh" sim_brunel2k "$@"
