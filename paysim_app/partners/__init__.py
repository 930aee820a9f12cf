"""Dealers: their accounts and users, their own cabinet, their statistics."""
