"""The learner's evidence portfolio: drafts, files, links, submission, versions, competency profile."""
