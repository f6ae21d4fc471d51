"""The learner's path: dashboard, unit pages and completion."""

from .views import bp

__all__ = ["bp"]
