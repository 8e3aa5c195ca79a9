"""The parties the app talks to, simulated on local ports: WeChat (``wechat_sim``), WeChat Pay (``wechatpay_sim``)
and an integrator's webhook receiver (``webhook_sim``). Each runs alone (``python -m tools.simulators.X``) or
in-process (``start``)."""
