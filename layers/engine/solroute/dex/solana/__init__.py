"""Solana transactions built with ``solders`` alone: the programs' instruction bytes, the keys
the engine signs with, and the swap transaction. (spl.token is never imported: ~120 ms.)"""
