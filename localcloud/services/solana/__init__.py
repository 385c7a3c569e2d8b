"""Solana: a local validator, Solana's JSON-RPC over LiteSVM (solders.litesvm), the chain the
engine signs and sends its swaps to when it runs in the local cloud.

validator.py holds the state (LocalValidator: LiteSVM plus time, the landing rules and the
history), slots.py the slots and blockhashes, ledger.py the landed transactions and their
commitment, methods/ the RPC methods (cluster, accounts, transactions, and the local-only
admin), params.py how their params are read, errors.py Solana's error codes and messages,
accounts.py, token_state.py, balances.py, simulation.py and transaction_json.py the shapes of
the answers, constants.py Solana's numbers with their sources, and transport.py JSON-RPC 2.0
over HTTP. The conformance tests (tests/localcloud/solana/) drive it with solana-py's client."""

from localcloud.services.solana.validator import LocalValidator

__all__ = ["LocalValidator"]
