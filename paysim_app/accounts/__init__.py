"""People who sign in: registration, sign-in, sessions, passwords, changing the login, profiles,
admin accounts and roles.

Public (`__all__`): identity (registration, sign-in, sessions, password resets, admins made by
the CLI), admins (the console's staff and roles), login_change, profile; and, for now, passwords
and roles, which other contexts and the demo use to make users. Nothing else is internal yet.
"""

__all__ = ["admins", "identity", "login_change", "passwords", "profile", "roles"]
