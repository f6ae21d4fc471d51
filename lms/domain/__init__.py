"""The framework-free core: content, framework and learning rules as plain Python.

Nothing in this package imports Flask or the database, so it can be tested and reused
(command line, reports, other front ends) without an application.
"""
