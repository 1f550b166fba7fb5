"""Condition grading: each component graded on its own, optically and (where it applies) technically.

Dealers use many scales; we keep one five-step scale per aspect and derive the overall grade from them,
so two watches graded by different people compare the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

GRADES = {
    'A': 'Excellent: like new, no visible wear',
    'B': 'Very good: light signs of use',
    'C': 'Good: visible wear, fully functional',
    'D': 'Fair: heavy wear or needs service',
    'E': 'Poor: damaged or not working',
}
# component -> the aspects it is graded on
COMPONENTS: dict[str, tuple[str, ...]] = {
    'case': ('optical',),
    'dial': ('optical',),
    'hands': ('optical',),
    'crystal': ('optical',),
    'bracelet': ('optical', 'technical'),
    'movement': ('optical', 'technical'),
}
_ORDER = list(GRADES)


def overall(condition: dict[str, dict[str, str]]) -> str | None:
    """The rounded mean of every grade given, but never more than one step better than the worst one."""
    given = [_ORDER.index(grade) for aspects in condition.values() for grade in aspects.values() if grade in GRADES]
    if not given:
        return None
    mean = int((Decimal(sum(given)) / len(given)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return _ORDER[max(mean, max(given) - 1)]


def validate(condition: dict) -> dict[str, dict[str, str]]:
    """Keep only known components, aspects and grades; raise ValueError naming the first bad entry."""
    clean: dict[str, dict[str, str]] = {}
    for component, aspects in condition.items():
        if component not in COMPONENTS:
            raise ValueError(f'unknown component "{component}"')
        for aspect, grade in (aspects or {}).items():
            if aspect not in COMPONENTS[component]:
                raise ValueError(f'{component} is not graded {aspect}')
            if grade not in GRADES:
                raise ValueError(f'{component} {aspect} grade must be one of {", ".join(GRADES)}')
            clean.setdefault(component, {})[aspect] = grade
    return clean
