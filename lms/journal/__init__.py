"""The mentoring journal: the learner's mentee, meetings, SMART goals and reviews, observations and
the mentee's own feedback, each dated by the app, and attachable to evidence."""
