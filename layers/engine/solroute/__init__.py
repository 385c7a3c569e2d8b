"""solroute: route market orders between simulated Solana DEXes and execute them.

Packages, by what they hold:
- ``models``: input/output and domain models, token table, typed errors (no I/O).
- ``logic``: the order state machine, submission, routing, execution, rate limiting,
  subscriptions and broadcasting (no boto3: it talks to ports only).
- ``dex``: the simulated Raydium and Meteora venues and the simulated chain they settle on.
- ``dal``: the ports the logic owns, and their DynamoDB / SQS / API Gateway adapters.
"""
