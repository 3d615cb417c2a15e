"""Batch Save Image: writes a row's images to <output>/<run>/<subfolder>/<name> with their workflow."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import folder_paths
import numpy as np
from PIL import Image

from ..batch_runner import node_ids
from ..batch_runner.image_files import save_image, write_sidecar
from ..batch_runner.naming import NamingContext, ensure_inside, output_relative_path, safe_component
from ..batch_runner.naming.safe_names import fit_file_name
from ..batch_runner.outcomes import SAVER_REPORT_KEY
from ..batch_runner.rows import Row
from .row_data import CATEGORY

logger = logging.getLogger(__name__)

FORMATS = ["png", "jpeg", "webp"]
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp"}


def _metadata_disabled() -> bool:
    try:
        from comfy.cli_args import args
    except ImportError:
        return False
    return bool(getattr(args, "disable_metadata", False))


class BatchSave:
    DESCRIPTION = ("Saves the row's images into <output>/<run>/<subfolder>/<name>, built from row fields such as "
                   "{style}/{id}, with the workflow embedded so dropping an image on ComfyUI restores it.")
    CATEGORY = CATEGORY
    RETURN_TYPES = ()
    FUNCTION = "save"
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE",),
                "row": (node_ids.ROW_TYPE,),
                "subfolder": ("STRING", {"default": "{style}", "tooltip": "Folder pattern inside the run folder."}),
                "name": ("STRING", {"default": "{id}", "tooltip": "File name pattern, without extension."}),
                "format": (FORMATS, {"default": "png"}),
                "quality": ("INT", {"default": 95, "min": 1, "max": 100, "tooltip": "JPEG and WEBP quality."}),
            },
            "optional": {
                "prompt_text": ("STRING", {"forceInput": True,
                                           "tooltip": "The prompt this row used, recorded in the manifest."}),
                "sidecar": ("BOOLEAN", {"default": False, "tooltip": "Also write <image>.json with the row."}),
            },
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO", "unique_id": "UNIQUE_ID"},
        }

    @classmethod
    def IS_CHANGED(cls, **_: Any) -> float:
        # Always run: a rerun or a row identical to the previous one must still
        # write its own file, which a cached (skipped) saver would not.
        return float("nan")

    def save(self, images: Any, row: dict[str, Any], subfolder: str, name: str, format: str, quality: int,
             prompt_text: str | None = None, sidecar: bool = False, prompt: dict | None = None,
             extra_pnginfo: dict | None = None, unique_id: str | None = None) -> dict[str, Any]:
        output_dir = Path(folder_paths.get_output_directory())
        run_dir = output_dir / safe_component(str(row.get("run") or "manual"))
        metadata = self._metadata(row, prompt, extra_pnginfo, prompt_text)
        override = (row.get("paths") or {}).get(str(unique_id))

        files: list[str] = []
        previews = []
        count = len(images)
        for index, image in enumerate(images, start=1):
            relative = self._relative_path(row, subfolder, name, format, override, index if count > 1 else None)
            path = run_dir / relative
            ensure_inside(run_dir, path)
            path.parent.mkdir(parents=True, exist_ok=True)
            ensure_inside(run_dir, path)

            pixels = np.clip(255.0 * image.cpu().numpy(), 0, 255).astype(np.uint8)
            save_image(Image.fromarray(pixels), path, format, quality, metadata)
            if sidecar:
                write_sidecar(path, {"row": row, "prompt_text": prompt_text})

            files.append(relative.as_posix())
            previews.append({"filename": path.name, "subfolder": path.parent.relative_to(output_dir).as_posix(),
                             "type": "output"})

        logger.info("Run %s: saved row %s (id %s) as %s", row.get("run"), row.get("row"), row.get("id"),
                    ", ".join(files))
        report = {"run": row.get("run"), "row_id": row.get("id"), "row": row.get("row"), "files": files,
                  "prompt_text": prompt_text}
        return {"ui": {"images": previews, SAVER_REPORT_KEY: [report]}}

    @staticmethod
    def _relative_path(row: dict[str, Any], subfolder: str, name: str, format: str, override: str | None,
                       image_index: int | None) -> PurePosixPath:
        extension = EXTENSIONS[format]
        started = row.get("started_at")
        context = NamingContext(
            row=Row(int(row.get("row") or 1), str(row.get("id")), dict(row.get("values") or {})),
            run_name=str(row.get("run") or "manual"),
            job_count=int(row.get("count") or 1),
            started_at=datetime.fromisoformat(started) if started else datetime.now(timezone.utc),
            seed=row.get("seed"),
        )
        if override:
            # A collision renamed when the run started: the safe path without extension is fixed.
            folder, _, stem = override.rpartition("/")
            suffix = f"_{image_index:03d}" if image_index else ""
            return PurePosixPath(folder or ".", fit_file_name(stem, extension, suffix))
        return output_relative_path(subfolder, name, context, extension, image_index)

    @staticmethod
    def _metadata(row: dict[str, Any], prompt: dict | None, extra_pnginfo: dict | None,
                  prompt_text: str | None) -> dict[str, str]:
        if _metadata_disabled():
            return {}
        metadata: dict[str, str] = {}
        if prompt is not None:
            metadata["prompt"] = json.dumps(prompt)
        for key, value in (extra_pnginfo or {}).items():
            metadata[key] = json.dumps(value)
        metadata["batch_row"] = json.dumps({"run": row.get("run"), "id": row.get("id"), "row": row.get("row"),
                                            "seed": row.get("seed"), "values": row.get("values"),
                                            "prompt_text": prompt_text}, ensure_ascii=False)
        return metadata
