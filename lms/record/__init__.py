"""The learner's record: final decisions on evidence, rolled up into the competency profile.

Below both assessment (which writes final decisions here) and badges (which listens for them), so
that neither imports the other.
"""
