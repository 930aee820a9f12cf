"""The domain: plain Python, no reflex. Each operation takes a Session and the acting user."""
