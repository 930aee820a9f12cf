"""Contracts as the back office sees them."""
