"""Calls into the operator's webhook: the client (sign, send, classify) and the outbox dispatcher."""
