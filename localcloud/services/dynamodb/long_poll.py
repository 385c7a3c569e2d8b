"""GetRecords as a long poll: the one request the local DynamoDB endpoint (server.py) answers
differently from DynamoDB, and only when the local cloud's stream poller asks for it
(awslambda/event_source_mappings/dynamodb_streams.py).

A GetRecords that carries STREAM_WAIT_HEADER may be held up to that many ms (at most
MAX_WAIT_MS) until a record arrives. AWS clients never send the header; other endpoints
ignore it. Kept apart from server.py so that the poller reads the header's name without
importing moto."""

from __future__ import annotations

STREAM_WAIT_HEADER = "x-localcloud-wait-ms"
MAX_WAIT_MS = 20_000
