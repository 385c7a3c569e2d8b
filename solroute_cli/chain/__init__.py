"""`solroute chain`: read the Solana chain the engine executes on (the local cloud's validator by
default): rpc.py calls its JSON-RPC, instructions.py decodes what a transaction does, tx.py is
`chain tx`."""
