"""The measurement harness: ``python -m bench`` (``make bench``).

Sections (each can run alone: ``python -m bench --only calls``):

- ``coldstart``: ``import app`` against importing only its dependencies, in fresh subprocesses; AWS clients
  created at import; our own modules' import cost.
- ``calls``: DynamoDB calls (by operation) and consumed capacity per endpoint, against DynamoDB Local.
- ``http``: latency percentiles and throughput over HTTP against the local stack.

Figures are printed and written to ``bench/results/latest.json``; nothing here asserts a timing.
"""
