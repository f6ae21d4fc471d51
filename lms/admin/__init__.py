"""The programme team's pages: accounts and roles, the audit trail."""

from .views import bp

__all__ = ["bp"]
