"""The framework published for people (/framework) and machines (/framework/case.json)."""
