"""Adapters: dataguard's fitted transforms in other libraries.

Each module imports its optional dependency.
"""
