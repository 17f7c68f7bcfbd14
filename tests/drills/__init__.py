"""Helpers for the fault drills (tests/test_drills.py) and the cross-process lease test."""
