#!/usr/bin/python3
"""Independent reference for the pair STDP rule: Brian2 (runtime, numpy target) on the same
presynaptic and postsynaptic spike times as tests/e2e/brian_stdp.sh gives Hebb.

Both spike trains come from SpikeGeneratorGroups, so no neuron model is involved: the pre
spike reaches the synapse after the synaptic delay (Brian's on_pre delay), the post spike acts
at its own time. Additive all-to-all STDP with hard bounds, written as in Brian2's STDP example
(event-driven traces), NEST's parameterisation: A+ = lambda Wmax, A- = alpha lambda Wmax.
Prints "time_ms weight" for every snapshot time given.

usage: stdp_brian.py PRE_TIMES POST_TIMES DELAY_MS W0 WMAX LAMBDA ALPHA TAU_PLUS TAU_MINUS
                     SNAPSHOT_TIMES T_END      (lists as comma-separated ms)
"""
import sys

import numpy as np
from brian2 import (ms, Network, SpikeGeneratorGroup, Synapses, defaultclock, prefs)

prefs.codegen.target = 'numpy'
defaultclock.dt = 0.1 * ms


def times(arg):
    return [float(x) for x in arg.split(',') if x]


pre, post = times(sys.argv[1]), times(sys.argv[2])
delay, w0, wmax, lam, alpha, tau_p, tau_m = map(float, sys.argv[3:10])
snaps, t_end = times(sys.argv[10]), float(sys.argv[11])

G_pre = SpikeGeneratorGroup(1, np.zeros(len(pre), dtype=int), np.array(pre) * ms)
G_post = SpikeGeneratorGroup(1, np.zeros(len(post), dtype=int), np.array(post) * ms)
S = Synapses(G_pre, G_post, '''w : 1
    dapre/dt = -apre / taup : 1 (event-driven)
    dapost/dt = -apost / taum : 1 (event-driven)''',
             on_pre='''w = clip(w - alpha * lam * wmax * apost, 0, wmax)
    apre += 1''',
             on_post='''w = clip(w + lam * wmax * apre, 0, wmax)
    apost += 1''',
             namespace={'taup': tau_p * ms, 'taum': tau_m * ms, 'alpha': alpha, 'lam': lam,
                        'wmax': wmax})
S.connect(i=0, j=0)
S.w = w0
S.pre.delay = delay * ms
net = Network(G_pre, G_post, S)
t_now = 0.0
for snap in snaps:
    net.run((snap - t_now) * ms)
    t_now = snap
    print("%.3f %.17g" % (snap, S.w[0]))
net.run((t_end - t_now) * ms)
