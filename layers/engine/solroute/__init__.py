"""solroute: route market and limit orders between simulated Solana DEXes and execute them.

Layers, each importing only those below it (pyproject.toml's import-linter contract, run by
tests/test_layering.py; docs/architecture.md has the whole map):
- ``models``: value objects (orders, statuses, requests and answers, routes, tokens, venues),
  typed errors, defaults. No I/O.
- ``ports``: every port the domain owns (Protocols: stores, queues, chain, venues, clock).
- ``dex``: the simulated Raydium and Meteora venues, their market and the chain they settle on.
- ``dal``: the adapters for AWS: ``dal/dynamodb/`` (one module per port), SQS, API Gateway, HTTP.
- ``logic``: the order state machine, submission, routing, execution, the trigger, the sweeper,
  rate limits and quotas, subscriptions, broadcasting and webhooks (talks to ports only; no boto3).
- ``settings``: the environment, read once and checked at init.
- ``services``: the composition root that builds each of the above once per Lambda container.
"""
