"""The public register of certified mentors: opted-in earners, their public badges, searchable."""
