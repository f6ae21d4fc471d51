"""Email: an outbox written in the caller's transaction, sent by the background worker with retries."""
