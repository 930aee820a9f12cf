"""People who sign in: registration, sign-in, sessions, passwords, changing the login, profiles,
admin accounts and roles."""
