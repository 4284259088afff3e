"""The inverse question: what would it take (docs/solve.md)?

:mod:`.constant` solves one lever's constant value per group that meets a gap target in one
year; :mod:`.costed` finds the cheapest year-by-year plan over several levers with relative
costs that keeps the gap at or above a target in every year from the target year on.
"""

from .constant import LEVERS, Lever, Solution, solve
from .costed import CostedSolution, solve_costed

__all__ = ["LEVERS", "CostedSolution", "Lever", "Solution", "solve", "solve_costed"]
