"""What each call a function makes waits, in whole milliseconds: the cost model bills it as
Lambda duration. Measured here, a call's wait is this machine's (moto, a local validator, a
queued core); on AWS it is the service's round trip from Lambda in the same region. These are
stated assumptions, the one place they live (docs/benchmarks.md, "How the cost is modelled").

Whole milliseconds on purpose: Lambda rounds each invocation up to 1 ms, and with whole-ms
waits ceil(CPU + sleep + waits) = ceil(CPU + sleep) + waits, which the local runtime adds up
per invocation (the meter's cpuSleptCeilMs) without knowing this table.
"""

# Sources: DynamoDB's "single-digit millisecond" latency, server side (AWS Database Blog,
# "Understanding Amazon DynamoDB latency"), plus the client's round trip inside the region,
# writes a little slower than reads; the others are assumptions of the same kind, typical p50s
# reported for in-region calls from Lambda over kept-alive connections.
CALL_MS: dict[str, int] = {
    "dynamodb.GetItem": 4,
    "dynamodb.BatchGetItem": 6,
    "dynamodb.Query": 5,
    "dynamodb.Scan": 8,
    "dynamodb.PutItem": 6,
    "dynamodb.UpdateItem": 6,
    "dynamodb.DeleteItem": 6,
    "dynamodb.BatchWriteItem": 10,
    "dynamodb.TransactWriteItems": 12,
    "sqs.SendMessage": 10,
    "sqs.SendMessageBatch": 12,
    "sqs.ChangeMessageVisibility": 8,
    "sqs.DeleteMessage": 8,
    "kms.Decrypt": 8,
    "apigatewaymanagementapi.PostToConnection": 15,
    "events.PutEvents": 15,
}
# A JSON-RPC request to a Solana RPC provider (outside AWS): one HTTPS round trip from us-east-1
# to a provider's nearby node, assumed; a public node is slower.
JSON_RPC_MS = 30
# Any call not named above (say so in the report, then name it here).
OTHER_MS = 10


def call_ms(call: str) -> int:
    """The stated wait of one call, named as the meter names it: service.Operation."""
    if call.startswith("jsonrpc."):
        return JSON_RPC_MS
    return CALL_MS.get(call, OTHER_MS)
