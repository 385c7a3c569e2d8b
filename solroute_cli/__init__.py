"""solroute's command line: a client of the engine's HTTP and WebSocket API (submit, get, list),
and `up`, which runs the local cloud (localcloud.cli)."""
