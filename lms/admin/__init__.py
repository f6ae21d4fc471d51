"""The programme team's pages: accounts and roles, the audit trail."""
