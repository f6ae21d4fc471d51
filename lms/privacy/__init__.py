"""Privacy: a person's own data as a download, and an admin's erasure of an account."""
