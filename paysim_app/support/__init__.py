"""Support tickets and their files, quality ratings and speed tests."""
