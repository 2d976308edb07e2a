"""Validation of new data against a contract, and comparison of splits."""
