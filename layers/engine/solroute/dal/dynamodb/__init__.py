"""The DynamoDB adapters: one module per port (solroute.ports), and the two pieces they share.

- table.py: the boto3 Table wrapper (throttling -> StoreBusy, the chaos fault) and conditional writes
- items.py: the one codec between an Order and its item (top-level attributes, the compressed
  document, the indexes' keys, subscribers, ``lastChange``)
- orders.py (OrderRepository), subscribers.py (SubscriberStore), connections.py
  (ConnectionRepository), key_connections.py (KeyConnectionStore), rate_limit.py (RateLimitStore),
  key_quota.py (KeyQuotaStore), lease.py (Lease), chain_ledger.py (ChainLedger), api_keys.py
  (ApiKeyStore), webhooks.py (MasterStore, DeliveryLog), streams.py (reading DynamoDB Streams:
  the webhook function's status changes and its redrive)
"""
