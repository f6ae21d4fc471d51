"""The framework published for people (/framework) and machines (/framework/case.json)."""

from .views import bp

__all__ = ["bp"]
