"""Reliability and security tests (issue 8): faults, kills, bad input, secrets, budgets, load."""
