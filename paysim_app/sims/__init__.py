"""The SIM's life: a subscriber's own SIMs, activation and blocking queues, tariff changes, the
admin's stock and the CSV import."""
