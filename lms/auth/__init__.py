"""Accounts: registration, sign-in with throttling, sign-out that ends the session for real."""
