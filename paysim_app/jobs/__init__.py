"""Background jobs (APScheduler), run by exactly one process among the app's workers."""
