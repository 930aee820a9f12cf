"""The public pages: no sign-in, in the public shell (ui/components/public_shell.py)."""
