"""Payloads of Lazo's events, one module per topic. Frozen pydantic models."""
