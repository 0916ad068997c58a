"""The fleet simulator (issue #4): replays cluster and LLM-inference traces through the broker
over months, as a discrete-event simulation."""
