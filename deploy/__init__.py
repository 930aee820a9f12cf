"""Deployment files: the reverse proxy in front of several app instances (deploy/proxy.py)."""
