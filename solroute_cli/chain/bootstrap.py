"""`solroute chain bootstrap`: put the engine's tokens and venues on a Solana cluster for a
deployed stack (docs/chain.md, "A real cluster").

The stack must have been deployed with `SolanaRpcUrl` set once, so that its KMS key (`ChainKey`,
output `ChainKeyId`) and keys table exist. The root secret is made and sealed with that key into
the keys table (kept if one is there), the mints, vaults and fee payer are created on the cluster
from it (solroute.dal.solana.bootstrap, idempotent), and the parameter overrides are printed.
No secret is printed, written to a file or put in the template."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from solroute_cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from solroute_cli.views import stdout

TABLE_OUTPUT, KMS_OUTPUT = "ApiKeysTableName", "ChainKeyId"


def load_keypair(path: str) -> Any:
    """A keypair file as `solana-keygen` writes it: a JSON array of the 64 secret-key bytes."""
    from solders.keypair import Keypair

    try:
        numbers = json.loads(Path(path).expanduser().read_text())
        return Keypair.from_bytes(bytes(numbers))
    except (OSError, ValueError, TypeError) as error:
        raise CliError(f"--payer {path}: not a keypair file (a JSON array of 64 numbers, as solana-keygen writes): {error}", EXIT_USAGE) from None


def stack_chain(stack: str, region: str | None) -> tuple[Any, Any, str]:
    """(keys table, KMS client, KMS key id) of a deployed stack, from its outputs."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.session.Session(region_name=region)
        described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    except (ClientError, BotoCoreError) as error:
        raise CliError(f"stack {stack}: {error}", EXIT_FAILED) from error
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    if KMS_OUTPUT not in outputs or TABLE_OUTPUT not in outputs:
        raise CliError(
            f"stack {stack} has no {KMS_OUTPUT} output: deploy it once with --parameter-overrides SolanaRpcUrl=URL "
            "(that creates the KMS key sealing the chain's root), then bootstrap",
            EXIT_FAILED,
        )
    return session.resource("dynamodb").Table(outputs[TABLE_OUTPUT]), session.client("kms"), outputs[KMS_OUTPUT]


def run_bootstrap(url: str, table: Any, kms: Any, kms_key_id: str, payer_path: str | None, faucet: bool, say: Any) -> dict:
    """Bootstrap ``url`` for the keys table ``table`` sealed by ``kms_key_id``; the fee payer is
    funded from ``payer_path``'s keypair, or by the cluster's faucet when it is None."""
    from solroute.dal.solana.bootstrap import airdrop, bootstrap, transfer_from
    from solroute.dal.solana.rpc import SolanaRpc
    from solroute.dal.solana.secrets import SealedRootStore
    from solroute.dex.solana.keys import ChainKeys
    from solroute.models.errors import RpcError

    rpc = SolanaRpc(url, timeout_s=30)
    try:
        rpc.call("getHealth")
        keys = ChainKeys(SealedRootStore(table, kms, kms_key_id).create())
        fund = transfer_from(rpc, load_keypair(payer_path)) if payer_path else airdrop(rpc)
        report = bootstrap(rpc, keys, fund, say)
    except RpcError as error:
        raise CliError(f"{url}: {error.message}", EXIT_FAILED) from None
    overrides = f"SolanaRpcUrl={url} ChainFaucet={'true' if faucet else 'false'}"
    return {**asdict(report), "parameterOverrides": overrides}


async def bootstrap_command(url: str, stack: str, region: str | None, payer: str | None, airdrop: bool, faucet: bool, as_json: bool) -> int:
    if (payer is None) == (not airdrop):
        raise CliError("pass one of --payer KEYPAIR (it funds the fee payer) or --airdrop (the cluster's faucet: local, devnet, testnet)", EXIT_USAGE)
    console = stdout()
    say = (lambda text: None) if as_json else (lambda text: console.print(f"  {text}"))

    def work() -> dict:
        table, kms, key_id = stack_chain(stack, region)
        return run_bootstrap(url, table, kms, key_id, None if airdrop else payer, faucet, say)

    result = await asyncio.to_thread(work)
    if as_json:
        print(json.dumps(result), flush=True)
        return EXIT_OK
    console.print(f"bootstrapped {url}: {len(result['mints'])} mints, {len(result['vaults'])} venues' vaults, fee payer {result['fee_payer']}")
    console.print("  created: " + (", ".join(result["created"]) if result["created"] else "nothing (everything was there)"))
    console.print(f"now deploy with:\n  sam deploy --parameter-overrides {result['parameterOverrides']}")
    return EXIT_OK
