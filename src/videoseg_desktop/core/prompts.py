"""Prompts the user gives SAM: points (positive or negative) and boxes, in source-image pixels."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    positive: bool = True


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def normalized(self) -> Box:
        """Same box with x0<=x1 and y0<=y1, whichever way it was dragged."""
        return Box(
            min(self.x0, self.x1),
            min(self.y0, self.y1),
            max(self.x0, self.x1),
            max(self.y0, self.y1),
        )


@dataclass(frozen=True)
class PromptSet:
    """Everything prompting one object on one frame."""

    points: tuple[Point, ...] = field(default_factory=tuple)
    box: Box | None = None

    def is_empty(self) -> bool:
        return not self.points and self.box is None
