"""Boxes on a PDF page, in points with the origin at the top-left corner (y grows downwards)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return max(0.0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        return max(0.0, self.y1 - self.y0)

    @property
    def area(self) -> float:
        return self.width * self.height

    def union(self, other: Box) -> Box:
        return Box(
            min(self.x0, other.x0),
            min(self.y0, other.y0),
            max(self.x1, other.x1),
            max(self.y1, other.y1),
        )

    def intersection(self, other: Box) -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        total = self.area + other.area - inter
        return inter / total if total > 0 else 0.0

    def horizontal_overlap(self, other: Box) -> float:
        """The shared width as a fraction of the narrower of the two boxes."""
        shared = min(self.x1, other.x1) - max(self.x0, other.x0)
        narrower = min(self.width, other.width)
        return shared / narrower if shared > 0 and narrower > 0 else 0.0

    def contains(self, other: Box, slack: float = 0.0) -> bool:
        return (
            other.x0 >= self.x0 - slack
            and other.y0 >= self.y0 - slack
            and other.x1 <= self.x1 + slack
            and other.y1 <= self.y1 + slack
        )

    def padded(self, pad: float, width: float, height: float) -> Box:
        """Grown by ``pad`` on every side, kept inside a page of the given size."""
        return Box(
            max(0.0, self.x0 - pad),
            max(0.0, self.y0 - pad),
            min(width, self.x1 + pad),
            min(height, self.y1 + pad),
        )

    def rounded(self) -> tuple[float, float, float, float]:
        return (round(self.x0, 1), round(self.y0, 1), round(self.x1, 1), round(self.y1, 1))


def union_all(boxes: Iterable[Box]) -> Box | None:
    result: Box | None = None
    for box in boxes:
        result = box if result is None else result.union(box)
    return result
