"""Assessors' workflow: the queue, claims, and indicator-by-indicator decisions."""
