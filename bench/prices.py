"""AWS list prices, us-east-1, on-demand, free tiers left out. The one place they live.

Checked: 2026-11-21, against AWS's public pricing pages as mirrored by third-party summaries
(DynamoDB on-demand after the November 2024 reduction). Change them here, and only here.
"""

PRICES_DATE = "2026-11-21"
REGION = "us-east-1"

PRICES = {
    "lambda_request": 0.20 / 1e6,  # per invocation
    "lambda_gb_second": 0.0000166667,  # x86_64, first 6 billion GB-s a month
    "http_api_request": 1.00 / 1e6,  # HTTP API, first 300 million a month (512 KB increments)
    "websocket_message": 1.00 / 1e6,  # first billion a month (32 KB increments)
    "websocket_connection_minute": 0.25 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,  # on-demand write request unit (1 KB)
    "dynamodb_rru": 0.125 / 1e6,  # on-demand read request unit (4 KB strongly consistent, 2 x eventually)
    "dynamodb_streams_lambda_read": 0.0,  # GetRecords made by a Lambda trigger is free
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB request chunk
    "cloudwatch_logs_gb": 0.50,  # ingestion (EMF metrics arrive as logs too)
}
