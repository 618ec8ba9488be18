#!/usr/bin/env bash
# B8 plastic in Auryn: its examples/sim_brunel2k_pl (the network of sim_brunel2k with E->E
# learning by weight-dependent STDP, STDPwdConnection, W_max = 3 J_E, alpha = 2.02), with
# lambda = 1e-9 as in perf/models/b8_brunel_stdp.yaml: every update is computed while the
# rates stay those of the static network. It records 50 neurons' spikes per population
# (Auryn's default nrec). See auryn.sh.
exec "$(dirname "$0")/auryn.sh" sim_brunel2k_pl --lambda 1e-9 "$@"
