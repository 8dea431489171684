"""The reference operator wallet: the webhook an operator writes, built in so a demo needs no operator."""
