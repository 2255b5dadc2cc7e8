"""`make demo`: a simulated customer base driven through a running Lazo (see demo.simulator)."""
