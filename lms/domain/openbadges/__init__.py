"""Open Badges 2.0 and 3.0 as plain Python: JSON builders, Data Integrity proofs, baking, verification.

Nothing here imports Flask or the database: callers pass the data in and get dicts or bytes out.
"""
