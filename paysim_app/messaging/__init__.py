"""Messages reach people: e-mail over SMTP and SMS over SMPP, draining the outbox
(core.outbox), with retries, a final failed state and templates in the recipient's language."""

__all__ = ["base"]
