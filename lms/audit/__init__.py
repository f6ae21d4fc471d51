"""The audit trail: who did what to whom, and when. One place writes it; admins read it as sentences."""
