"""Demo data: a completed calibration round, so that the calibration page shows real numbers."""

from __future__ import annotations

from ..models import User
from . import services


def seed_round(assessor: User, misses: int = 1) -> None:
    """Once per assessor: a round scored through the real code, agreeing except on ``misses`` levels."""
    if services.rounds(assessor.id)[0] or not services.bank().exemplars:
        return
    calibration_round = services.start_round(assessor)
    drawn = [(item.position, item.exemplar_id) for item in calibration_round.items]
    round_id = calibration_round.id
    for position, exemplar_id in drawn:
        levels = dict(services.bank().exemplar(exemplar_id).agreed_levels)
        for indicator_id in list(levels)[:misses]:
            # One level off, staying on the scale: the near miss an assessor new to the rubric makes.
            levels[indicator_id] += 1 if levels[indicator_id] < 2 else -1
        misses = 0
        services.score_item(assessor, round_id, position, levels)
