"""People who sign in: registration, sign-in, sessions, passwords, changing the login, profiles,
admin accounts and roles.

Public (`__all__`): consent (the versioned legal texts and the record of each acceptance,
152-FZ), identity (registration, sign-in, sessions, password resets, the accounts
other contexts open: admins, and users who set their password through a link), admins (the
console's staff and roles), login_change, profile, two_factor (authenticators, the second
step of a sign-in); and hash_password, for the demo seed, which
hashes its one well-known password once for all its users. Internal: passwords (the hashing and
the strength rule), roles (the built-in roles, made when identity.create_admin needs them) and
verification (the one-time SMS codes that prove a phone, which identity's registration and
reset and login_change use).
"""

from paysim_app.accounts.passwords import hash_password

__all__ = [
    "admins",
    "consent",
    "identity",
    "login_change",
    "profile",
    "two_factor",
    "hash_password",
]
