"""Reads across contexts: each role's first page, the admin's search, the CSV export of any list,
the back-office lists that span contexts (subscribers and tickets; admins, audit and quality)."""
