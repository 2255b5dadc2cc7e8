"""`make bench`: Lazo's throughput and latency on this machine, beside the ceilings of its stack.

Run as `python -m bench [--responses N] [--rate R] [--seconds S] [--only single|batch|latency|ceilings]`.
"""
