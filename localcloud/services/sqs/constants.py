"""SQS's limits and defaults, each with the AWS documentation it comes from.

Sizes changed in August 2025: a message and a whole batch may now carry 1 MiB (it was 256 KiB),
and a new queue's MaximumMessageSize defaults to 1 MiB.
"""

import re

# "You can use SendMessageBatch to send up to 10 messages"; the same for the other batches.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
MAX_BATCH_ENTRIES = 10

# "This identifier can have up to 80 characters. The following characters are accepted:
# alphanumeric characters, hyphens(-), and underscores (_)."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html
BATCH_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")

# "The maximum allowed individual message size and the maximum total payload size (the sum of the
# individual lengths of all of the batched messages) are both 1 MiB 1,048,576 bytes."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
MAX_BATCH_PAYLOAD_BYTES = 1_048_576

# MaximumMessageSize: "An integer from 1,024 bytes (1 KiB) up to 1,048,576 bytes (1 MiB).
# Default: 1,048,576 bytes (1 MiB)." A message's size counts its attributes' names, types and
# values (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_MessageAttributeValue.html).
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
MIN_MAXIMUM_MESSAGE_SIZE = 1_024
MAX_MAXIMUM_MESSAGE_SIZE = 1_048_576

# MessageRetentionPeriod: "from 60 (1 minute) to 1,209,600 (14 days). Default: 345,600 (4 days)."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
MIN_RETENTION_S = 60
MAX_RETENTION_S = 1_209_600

# DelaySeconds: "An integer from 0 to 900 (15 minutes). Default: 0."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
MAX_DELAY_S = 900

# VisibilityTimeout: "An integer from 0 to 43,200 (12 hours). Default: 30."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
MAX_VISIBILITY_TIMEOUT_S = 43_200

# ReceiveMessageWaitTimeSeconds (and ReceiveMessage's WaitTimeSeconds): "An integer from 0 to 20 (seconds)."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
MAX_WAIT_TIME_S = 20

# MaxNumberOfMessages: "Valid values: 1 to 10. Default: 1."
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
MAX_RECEIVE_MESSAGES = 10

# A new queue's attributes, as GetQueueAttributes reports them (defaults from SetQueueAttributes above).
DEFAULT_QUEUE_ATTRIBUTES = {
    "VisibilityTimeout": "30",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "0",
    "MessageRetentionPeriod": "345600",
    "MaximumMessageSize": str(MAX_MAXIMUM_MESSAGE_SIZE),
}

# The numeric request parameters and the values SQS accepts for each (InvalidParameterValue otherwise).
PARAMETER_RANGES = {
    "DelaySeconds": (0, MAX_DELAY_S),
    "MaxNumberOfMessages": (1, MAX_RECEIVE_MESSAGES),
    "VisibilityTimeout": (0, MAX_VISIBILITY_TIMEOUT_S),
    "WaitTimeSeconds": (0, MAX_WAIT_TIME_S),
}

# The numeric queue attributes and the values SQS accepts for each (InvalidAttributeValue otherwise).
QUEUE_ATTRIBUTE_RANGES = {
    "VisibilityTimeout": (0, MAX_VISIBILITY_TIMEOUT_S),
    "DelaySeconds": (0, MAX_DELAY_S),
    "ReceiveMessageWaitTimeSeconds": (0, MAX_WAIT_TIME_S),
    "MessageRetentionPeriod": (MIN_RETENTION_S, MAX_RETENTION_S),
    "MaximumMessageSize": (MIN_MAXIMUM_MESSAGE_SIZE, MAX_MAXIMUM_MESSAGE_SIZE),
}
