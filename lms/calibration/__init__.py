"""Assessor calibration: rounds of scoring agreed exemplars, and who counts as calibrated."""
