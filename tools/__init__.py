"""Developer and operator tools; nothing here is deployed.

- ``stack/``: the local stack (``runner``), its shared settings (``environment``), DynamoDB Local, the tables and
  queues of ``infra/resources.json`` (``provision``), the seed, and ``run_job`` (a scheduled job, now).
- ``lambda_emulation/``: what API Gateway and Lambda's event sources do around the app: the gateway served by
  gunicorn (``api_gateway``), the SQS and DynamoDB stream pollers, the EventBridge schedules, the ``context``.
- ``simulators/``: the other side of the wire: WeChat, WeChat Pay and an integrator's webhook receiver.
- ``deploy/``: the CloudFormation package (``package``, ``operations``, ``dashboards``) and ``redrive``.
- ``contract.py``: the OpenAPI contract (snapshot, breaking-change check, SDKs); ``procs.py``: child processes
  and ports, for all of the above.
- ``local_stack.py``, ``run_job.py``, ``package.py``, ``redrive.py``: only the entry points of the documented
  commands (``python -m tools.local_stack`` ...).

Layers: ``stack`` uses ``lambda_emulation``, ``simulators`` and ``procs``; none of those uses ``stack``
(tests/unit/test_tools_layout.py checks that no import goes round in a circle).
"""
