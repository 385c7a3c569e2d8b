"""The errors SQS answers with, one class per AWS error.

SQS speaks the JSON protocol and stays compatible with its older query protocol: the JSON body
names the error by its JSON name (`__type`), and the `x-amzn-query-error` header carries the
query protocol's code, which is what boto3 reports as `Error.Code` (and in a batch's `Failed`
entries). Both names, for each error, are AWS's own, as recorded against AWS in LocalStack's
tests (tests/aws/services/sqs/test_sqs.snapshot.json) and mapped in its serializer.
"""

from __future__ import annotations

from typing import ClassVar

from localcloud.services.sqs.constants import MAX_BATCH_ENTRIES, MAX_BATCH_PAYLOAD_BYTES


class SqsError(Exception):
    code: ClassVar[str]  # the JSON protocol's name
    query_code: ClassVar[str]  # the query protocol's name: what boto3 reports
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def batch_entry(self, entry_id: str) -> dict:
        """How a batch reports this error for one of its entries."""
        return {"Id": entry_id, "SenderFault": True, "Code": self.query_code, "Message": self.message}


class _Legacy(SqsError):
    """An error the query protocol names with the AWS.SimpleQueueService prefix."""

    def __init_subclass__(cls) -> None:
        cls.code = cls.__name__
        cls.query_code = f"AWS.SimpleQueueService.{cls.__name__}"


class QueueDoesNotExist(SqsError):
    code, query_code = "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"

    def __init__(self) -> None:
        super().__init__("The specified queue does not exist.")


class TooManyEntriesInBatchRequest(_Legacy):
    def __init__(self, sent: int) -> None:
        super().__init__(f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {sent}.")


class EmptyBatchRequest(_Legacy):
    def __init__(self, entry_kind: str) -> None:
        super().__init__(f"There should be at least one {entry_kind} in the request.")


class BatchEntryIdsNotDistinct(_Legacy):
    def __init__(self, entry_id: str) -> None:
        super().__init__(f"Id {entry_id} repeated.")


class InvalidBatchEntryId(_Legacy):
    def __init__(self) -> None:
        super().__init__(
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
            "It can be at most 80 letters long."
        )


class BatchRequestTooLong(_Legacy):
    def __init__(self, sent: int) -> None:
        super().__init__(f"Batch requests cannot be longer than {MAX_BATCH_PAYLOAD_BYTES} bytes. You have sent {sent} bytes.")


class InvalidAction(SqsError):
    code = query_code = "InvalidAction"

    def __init__(self, operation: str) -> None:
        super().__init__(f"The action {operation or '(none)'} is not valid for this endpoint.")


class ReceiptHandleIsInvalid(SqsError):
    code = query_code = "ReceiptHandleIsInvalid"

    def __init__(self, handle: str) -> None:
        super().__init__(f'The input receipt handle "{handle}" is not a valid receipt handle.')


class InvalidParameterValue(SqsError):
    code, query_code = "InvalidParameterValueException", "InvalidParameterValue"

    @classmethod
    def out_of_range(cls, parameter: str, value: object, reason: str) -> InvalidParameterValue:
        return cls(f"Value {value} for parameter {parameter} is invalid. Reason: {reason}")

    @classmethod
    def too_large(cls, limit: int, in_batch: bool = False) -> InvalidParameterValue:
        # AWS's wording differs between SendMessage and a SendMessageBatch entry.
        problem = "cannot be validated" if in_batch else "are invalid"
        return cls(f"One or more parameters {problem}. Reason: Message must be shorter than {limit} bytes.")


class MissingParameter(SqsError):
    code, query_code = "MissingRequiredParameterException", "MissingParameter"

    def __init__(self, parameter: str) -> None:
        super().__init__(f"The request must contain the parameter {parameter}.")


class InvalidAttributeValue(SqsError):
    code = query_code = "InvalidAttributeValue"

    def __init__(self, attribute: str) -> None:
        super().__init__(f"Invalid value for the parameter {attribute}.")
