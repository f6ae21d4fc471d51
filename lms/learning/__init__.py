"""The learner's path: dashboard, unit pages and completion."""
