"""The Solana chain adapter: a JSON-RPC client, the chain port over it, and the sealed root secret."""
