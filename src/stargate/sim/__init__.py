"""The fleet simulator (issues #4, #10): replays a scenario's procurement — what capacity the lab
holds, period by period (:mod:`stargate.sim.procure`) — then cluster and LLM-inference traces on
that capacity through the broker, over months, as a discrete-event simulation."""
