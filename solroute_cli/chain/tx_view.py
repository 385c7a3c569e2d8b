"""A transaction as an explorer shows it, with rich: its status, slot, time, fee and compute
units, its signers, each instruction in words (inner ones under it), the token and SOL balances
it moved, and its logs."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Group, RenderableType
from rich.text import Text

from localcloud.services.solana.base58 import b58decode
from localcloud.services.solana.errors import describe
from solroute_cli.chain.instructions import amount_text, decode, short, sol_text
from solroute_cli.views import add_row, table

COMMITMENT_STYLES = {"finalized": "bold green", "confirmed": "green", "processed": "yellow"}


def transaction_view(signature: str, status: dict | None, landed: dict | None) -> RenderableType:
    parts: list[RenderableType] = [Text.assemble("transaction ", (signature, "bold"))]
    err = (landed or {}).get("meta", {}).get("err") if landed else (status or {}).get("err")
    outcome = Text("ok", style="green") if err is None else Text(f"failed: {describe(err)}", style="bold red")
    commitment = (status or {}).get("confirmationStatus") or "confirmed"
    parts.append(Text.assemble("status ", (commitment, COMMITMENT_STYLES.get(commitment, "bold")), ", ", outcome))
    if landed is None:
        parts.append(Text(f"slot {status['slot']}: only processed so far; its details are served once it is confirmed (seconds)"))
        return Group(*parts)
    meta, message = landed["meta"], landed["transaction"]["message"]
    keys = message["accountKeys"]
    parts += [_overview(landed, keys), _instructions(landed, keys), *_balance_changes(meta, keys)]
    logs = meta.get("logMessages") or []
    if logs:
        parts.append(Text("logs", style="bold"))
        parts += [Text(f"  {line}") for line in logs]
    return Group(*parts)


def _overview(landed: dict, keys: list[str]) -> RenderableType:
    meta, message = landed["meta"], landed["transaction"]["message"]
    signers = keys[: message["header"]["numRequiredSignatures"]]
    block_time = landed.get("blockTime")
    shown = table("", "", title=None)
    shown.show_header = False
    add_row(shown, "slot", landed["slot"])
    add_row(shown, "block time", datetime.fromtimestamp(block_time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if block_time else "unknown")
    add_row(shown, "fee", f"{meta['fee']} lamports ({sol_text(meta['fee'])})")
    add_row(shown, "compute units", meta.get("computeUnitsConsumed", "unknown"))
    add_row(shown, "signers", ", ".join(f"{key} (fee payer)" if i == 0 else key for i, key in enumerate(signers)))
    add_row(shown, "recent blockhash", message["recentBlockhash"])
    add_row(shown, "version", landed.get("version", "legacy"))
    return shown


def _decimals_of(meta: dict, keys: list[str]) -> dict[str, int]:
    """Each token account's and mint's decimals, as the transaction's token balances give them."""
    decimals: dict[str, int] = {}
    for entry in (meta.get("preTokenBalances") or []) + (meta.get("postTokenBalances") or []):
        places = entry["uiTokenAmount"]["decimals"]
        decimals[keys[entry["accountIndex"]]] = decimals[entry["mint"]] = places
    return decimals


def _instructions(landed: dict, keys: list[str]) -> RenderableType:
    meta, message = landed["meta"], landed["transaction"]["message"]
    decimals = _decimals_of(meta, keys)
    inner = {group["index"]: group["instructions"] for group in meta.get("innerInstructions") or []}
    shown = table("#", "program", "instruction", "detail", title="instructions")
    for index, instruction in enumerate(message["instructions"]):
        for number, each in [(f"{index + 1}", instruction)] + [(f"{index + 1}.{n + 1}", i) for n, i in enumerate(inner.get(index, []))]:
            accounts = [keys[a] for a in each["accounts"]]
            decoded = decode(keys[each["programIdIndex"]], accounts, b58decode(each["data"]), decimals)
            add_row(shown, number, decoded.program if "." not in number else f"  {decoded.program}", decoded.action, decoded.detail)
    return shown


def _balance_changes(meta: dict, keys: list[str]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    before = {entry["accountIndex"]: entry for entry in meta.get("preTokenBalances") or []}
    after = {entry["accountIndex"]: entry for entry in meta.get("postTokenBalances") or []}
    tokens = table("account", "owner", "mint", "before", "after", "change", title="token balance changes")
    for index in sorted(before.keys() | after.keys()):
        entry = after.get(index) or before[index]
        decimals = entry["uiTokenAmount"]["decimals"]
        old, new = (int(side[index]["uiTokenAmount"]["amount"]) if index in side else 0 for side in (before, after))
        add_row(tokens, short(keys[index]), short(entry.get("owner", "")), short(entry["mint"]), amount_text(old, decimals),
                amount_text(new, decimals), _change(new - old, decimals))  # fmt: skip
    if tokens.row_count:
        parts.append(tokens)
    sol = table("account", "before", "after", "change (SOL)", title="SOL balance changes")
    for key, old, new in zip(keys, meta["preBalances"], meta["postBalances"]):
        if old != new:
            add_row(sol, short(key), sol_text(old), sol_text(new), _change(new - old, 9))
    if sol.row_count:
        parts.append(sol)
    return parts


def _change(raw: int, decimals: int) -> Text:
    return Text(amount_text(raw, decimals, signed=True), style="green" if raw > 0 else "red" if raw < 0 else "")
