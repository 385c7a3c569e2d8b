"""The AWS services the local cloud emulates, one package each, laid out as moto and LocalStack
lay a service out: its state (backend), its API operations, its errors, its named limits
(constants) and its wire protocol (transport)."""
