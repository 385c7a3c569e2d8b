"""Sending the engine's own transactions (bootstrap, the faucet) and waiting for them."""

from __future__ import annotations

import base64
import time
from typing import Callable, Sequence

from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.transaction import Transaction

from solroute.dal.solana.rpc import SolanaRpc
from solroute.models.errors import RpcError


def send(rpc: SolanaRpc, instructions: Sequence[Instruction], payer: Keypair, *signers: Keypair) -> str:
    """Sign with a fresh blockhash and send with preflight against the processed state (a failure
    is refused and nothing lands; a transaction may build on one sent a moment before); its
    signature, without waiting."""
    blockhash, _ = rpc.latest_blockhash("processed")
    message = Message.new_with_blockhash(list(instructions), payer.pubkey(), Hash.from_string(blockhash))
    unique = {str(k.pubkey()): k for k in (payer, *signers)}
    tx = Transaction(list(unique.values()), message, Hash.from_string(blockhash))
    return rpc.call("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", "preflightCommitment": "processed"})


def send_and_confirm(
    rpc: SolanaRpc, instructions: Sequence[Instruction], payer: Keypair, *signers: Keypair, timeout_s: float = 60.0, sleep: Callable[[float], None] = time.sleep
) -> str:
    """``send``, then wait until the cluster confirms it. Raises RpcError when it fails or times out."""
    signature = send(rpc, instructions, payer, *signers)
    wait_confirmed(rpc, [signature], timeout_s, sleep)
    return signature


def wait_confirmed(rpc: SolanaRpc, signatures: Sequence[str], timeout_s: float = 60.0, sleep: Callable[[float], None] = time.sleep) -> None:
    """Poll until every signature is confirmed (``sleep`` between polls: a test's clock moves)."""
    polls = int(timeout_s / 0.2) + 1
    waiting = list(signatures)
    while waiting:
        statuses = rpc.call("getSignatureStatuses", waiting, {"searchTransactionHistory": True})["value"]
        for signature, status in zip(list(waiting), statuses):
            if status and status.get("err") is not None:
                raise RpcError(f"transaction {signature} failed on chain: {status['err']}")
            if status and status.get("confirmationStatus") in ("confirmed", "finalized"):
                waiting.remove(signature)
        if waiting:
            polls -= 1
            if polls <= 0:
                raise RpcError(f"{len(waiting)} transaction(s) not confirmed within {timeout_s:g} s: {', '.join(waiting)}")
            sleep(0.2)
