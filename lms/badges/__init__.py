"""Open Badges for achievements: issuing, hosting, baking, sharing, verifying and revoking."""
