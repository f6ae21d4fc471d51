"""Running a programme: cohorts, their placement plans, learners and assessors, enrolment and reports."""
