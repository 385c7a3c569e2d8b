"""The JSON-RPC errors the validator answers, with Agave's codes and messages, and a transaction
error as Solana writes it: in JSON (`{"InstructionError": [0, {"Custom": 1}]}`) and in words
("Error processing Instruction 0: custom program error: 0x1", the text after "Transaction
simulation failed: "). The words are Agave's Display strings (solana-transaction-error,
solana-instruction's InstructionError) for the errors a client of this validator meets; any
other error is named by its variant."""

from __future__ import annotations

import json
from typing import Any

from solders.rpc.responses import RpcSimulateTransactionResult

# JSON-RPC 2.0's own codes, and Solana's server errors (agave rpc-client-api's custom_error.rs).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SEND_TRANSACTION_PREFLIGHT_FAILURE = -32002
TRANSACTION_SIGNATURE_VERIFICATION_FAILURE = -32003
UNSUPPORTED_TRANSACTION_VERSION = -32015


class RpcError(Exception):
    """A JSON-RPC error object: what `dispatch` raises and the transport answers."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def as_json(self) -> dict:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(detail: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid params: {detail}")


def invalid_param(detail: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid param: {detail}")


def method_not_found() -> RpcError:
    return RpcError(METHOD_NOT_FOUND, "Method not found")


def preflight_failure(simulation: dict) -> RpcError:
    """sendTransaction's answer when its preflight (a simulation) fails: nothing was sent."""
    return RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE, f"Transaction simulation failed: {describe(simulation['err'])}", simulation)


def signature_verification_failure() -> RpcError:
    return RpcError(TRANSACTION_SIGNATURE_VERIFICATION_FAILURE, "Transaction signature verification failure")


def unsupported_transaction_version(version: int) -> RpcError:
    return RpcError(
        UNSUPPORTED_TRANSACTION_VERSION,
        f"Transaction version ({version}) is not supported by the requesting client. Please try the request again with the "
        f'following configuration parameter: "maxSupportedTransactionVersion": {version}',
    )


def error_json(err: Any) -> Any:
    """A solders TransactionError (LiteSVM's) as Solana's JSON writes it; None stays null."""
    if err is None or isinstance(err, (str, dict)):
        return err
    return json.loads(RpcSimulateTransactionResult(err=err).to_json())["err"]


_TRANSACTION_ERRORS = {
    "AccountInUse": "Account in use",
    "AccountLoadedTwice": "Account loaded twice",
    "AccountNotFound": "Attempt to debit an account but found no record of a prior credit.",
    "ProgramAccountNotFound": "Attempt to load a program that does not exist",
    "InsufficientFundsForFee": "Insufficient funds for fee",
    "InvalidAccountForFee": "This account may not be used to pay transaction fees",
    "AlreadyProcessed": "This transaction has already been processed",
    "BlockhashNotFound": "Blockhash not found",
    "CallChainTooDeep": "Loader call chain is too deep",
    "MissingSignatureForFee": "Transaction requires a fee but has no signature present",
    "InvalidAccountIndex": "Transaction contains an invalid account reference",
    "SignatureFailure": "Transaction did not pass signature verification",
    "InvalidProgramForExecution": "This program may not be used for executing instructions",
    "SanitizeFailure": "Transaction failed to sanitize accounts offsets correctly",
    "WouldExceedMaxBlockCostLimit": "Transaction would exceed max Block Cost Limit",
    "UnsupportedVersion": "Transaction version is unsupported",
    "InvalidWritableAccount": "Transaction loads a writable account that cannot be written",
}

_INSTRUCTION_ERRORS = {
    "GenericError": "generic instruction error",
    "InvalidArgument": "invalid program argument",
    "InvalidInstructionData": "invalid instruction data",
    "InvalidAccountData": "invalid account data for instruction",
    "AccountDataTooSmall": "account data too small for instruction",
    "InsufficientFunds": "insufficient funds for instruction",
    "IncorrectProgramId": "incorrect program id for instruction",
    "MissingRequiredSignature": "missing required signature for instruction",
    "AccountAlreadyInitialized": "instruction requires an uninitialized account",
    "UninitializedAccount": "instruction requires an initialized account",
    "NotEnoughAccountKeys": "insufficient account keys for instruction",
    "AccountNotExecutable": "instruction expected an executable account",
    "ComputationalBudgetExceeded": "Computational budget exceeded",
    "InvalidSeeds": "Provided seeds do not result in a valid address",
    "IllegalOwner": "Provided owner is not allowed",
    "ExternalAccountLamportSpend": "instruction spent from the balance of an account it does not own",
    "ReadonlyLamportChange": "instruction changed the balance of a read-only account",
    "ReadonlyDataModified": "instruction modified data of a read-only account",
    "ProgramFailedToComplete": "Program failed to complete",
}


def describe(err: Any) -> str:
    """A transaction error (JSON or solders) in Solana's words."""
    err = error_json(err)
    if isinstance(err, str):
        return _TRANSACTION_ERRORS.get(err, err)
    (name, value), = err.items()
    if name == "InstructionError":
        index, inner = value
        return f"Error processing Instruction {index}: {_describe_instruction_error(inner)}"
    if name == "InsufficientFundsForRent":
        return f"Transaction results in an account ({value['account_index']}) with insufficient funds for rent"
    if name == "DuplicateInstruction":
        return f"Transaction contains a duplicate instruction ({value}) that is not allowed"
    return f"{name}: {json.dumps(value)}"


def _describe_instruction_error(inner: Any) -> str:
    if isinstance(inner, dict) and "Custom" in inner:
        return f"custom program error: {inner['Custom']:#x}"
    if isinstance(inner, dict) and "BorshIoError" in inner:
        return f"Failed to serialize or deserialize account data: {inner['BorshIoError']}"
    return _INSTRUCTION_ERRORS.get(inner, str(inner))
