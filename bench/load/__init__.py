"""The load generator: picows clients in a process of their own, pinned to their own core."""
