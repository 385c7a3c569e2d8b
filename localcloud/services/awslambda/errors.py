"""The errors the Lambda Invoke API answers with, one class per AWS error: its HTTP status, its
name (boto3 reads it from x-amzn-ErrorType, api.py sets it) and its message, as Lambda words it.
https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html (Errors)"""

from __future__ import annotations

from typing import ClassVar


class InvokeError(Exception):
    status: ClassVar[int]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        return type(self).__name__


class ResourceNotFoundException(InvokeError):
    status = 404

    def __init__(self, function_arn: str) -> None:
        super().__init__(f"Function not found: {function_arn}")


class InvalidParameterValueException(InvokeError):
    status = 400


class RequestTooLargeException(InvokeError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")


class InvalidRequestContentException(InvokeError):
    status = 400

    def __init__(self, error: ValueError) -> None:
        super().__init__(f"Could not parse request body into json: {error}")
