"""solroute's command line (typer + rich): a client of the engine's HTTP and WebSocket API (quote,
submit, watch, get, cancel, list), `keys`, and `up`, which runs the local cloud (localcloud.cli)."""
