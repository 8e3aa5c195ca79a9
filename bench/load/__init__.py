"""The flash-sale load test (locust): ``python -m bench.load`` / ``make load``."""
