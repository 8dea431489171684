"""`netspace-mock stress`: platform traffic played against an operator wallet, and its reconciliation."""
