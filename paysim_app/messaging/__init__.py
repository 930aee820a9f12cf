"""Messages reach people: e-mail over SMTP and SMS over SMPP, draining the outbox
(core.outbox), with retries, a final failed state and templates in the recipient's language."""

# what the rest of the app uses: the sender interface, the e-mail as it leaves (the
# unsubscribe link's token), the delivery job, the SMS senders (preflight checks the SMSC)
__all__ = ["base", "compose", "delivery", "sms", "smpp"]
