"""`solroute ops`: an operator's view of the local cloud or a deployed stack (docs/operations.md)."""
