"""Rounds: bet → outcome → win (or refund / rollback), delivered per the PROTOCOL §5 policy.

start.py starts a round and writes its bet to the outbox; policy.py decides, without I/O, what an
answer leads to; engine.py runs that against the outbox under the round's lock; deliveries.py builds
a round's calls; recovery.py resumes rounds at start and resends a failed call; views.py shows a round.
"""
