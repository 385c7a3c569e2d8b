"""How a command fails: a message (stderr, or one JSON object on stdout under --json) and the exit
code a script can test."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
# The code an error carries under --json when the API gave none (an error of the command itself).
_CODE_OF_EXIT = {EXIT_FAILED: "FAILED", EXIT_USAGE: "USAGE", EXIT_UNREACHABLE: "UNREACHABLE"}


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_USAGE, *, error_code: str | None = None, status: int | None = None,
                 details: object = None, api_message: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.api_message = api_message  # the API's own words, which --json gives as they are
        self.code = code  # the exit code
        self.error_code = error_code or _CODE_OF_EXIT.get(code, "FAILED")  # the API's, or the command's own
        self.status = status  # the HTTP status, when the API answered
        self.details = details

    def as_json(self) -> dict:
        """What --json prints: {"error": {"code", "message", "status"?, "details"?}}."""
        error: dict[str, object] = {"code": self.error_code, "message": self.api_message or str(self)}
        if self.status is not None:
            error["status"] = self.status
        if self.details:
            error["details"] = self.details
        return {"error": error}
