"""Create an SD 1.5 checkpoint with random weights that ComfyUI detects and loads as SD 1.5.

The benchmarks need real checkpoint loads without downloading model weights.
This module builds ComfyUI's own SD 1.5 UNet, CLIP-L text encoder and VAE on
the meta device, which gives shapes without allocating memory. It takes their
state dicts in the single-file layout that ComfyUI reads and writes
(`model.diffusion_model.*`, `cond_stage_model.transformer.text_model.*`,
`first_stage_model.*`) and fills every weight with normal noise times 0.02,
stored as fp16 (2.13 GB). Small weights keep sampling finite, and the images
come out as noise or flat colour.

Run it with the interpreter that runs ComfyUI, because it imports `comfy`:

    .runtime/venv/bin/python bench/synthetic_checkpoint.py create OUT.safetensors [--seed 1] [--verify]
    .runtime/venv/bin/python bench/synthetic_checkpoint.py verify OUT.safetensors

`verify` loads the file with `comfy.sd.load_checkpoint_guess_config`, fails
unless ComfyUI detects SD 1.5 and loads every key, then samples one step on an
8x8 latent and checks that the latent and the decoded image are finite.
Other scripts call `ensure_checkpoint()`, which runs both steps in a
subprocess and reuses a file that this generator already wrote.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COMFYUI_DIR = REPO_ROOT / ".runtime" / "comfyui"

# Bump when the layout or the values change, so older cached files are rebuilt.
GENERATOR_VERSION = "sd15-random-1"
WEIGHT_STD = 0.02
POSITION_IDS_KEY = "cond_stage_model.transformer.text_model.embeddings.position_ids"

# ComfyUI 0.3.75 logs ignored keys at DEBUG level with these prefixes. The
# position ids are the one key its CLIP has no tensor for, as with a real file.
IGNORED_KEY_MESSAGES = ("clip unexpected", "Leftover VAE keys", "left over keys")
EXPECTED_CLIP_UNEXPECTED = "clip unexpected ['clip_l.transformer.text_model.embeddings.position_ids']:"

# The SD 1.5 UNet (about 860 M parameters) in ComfyUI's UNetModel arguments.
# ComfyUI's model detection must derive exactly this from the saved shapes,
# and `verify` checks that it does.
SD15_UNET_CONFIG: dict[str, Any] = {
    "image_size": 32,
    "in_channels": 4,
    "out_channels": 4,
    "model_channels": 320,
    "num_res_blocks": [2, 2, 2, 2],
    "channel_mult": [1, 2, 4, 4],
    "transformer_depth": [1, 1, 1, 1, 1, 1, 0, 0],
    "transformer_depth_middle": 1,
    "transformer_depth_output": [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    "context_dim": 768,
    "use_spatial_transformer": True,
    "use_linear_in_transformer": False,
    "legacy": False,
    "adm_in_channels": None,
    "use_checkpoint": False,
    "use_temporal_attention": False,
    "use_temporal_resblock": False,
}

# The SD 1.x KL autoencoder: 8x downscale, 4 latent channels.
SD15_VAE_CONFIG: dict[str, Any] = {
    "double_z": True,
    "z_channels": 4,
    "resolution": 256,
    "in_channels": 3,
    "out_ch": 3,
    "ch": 128,
    "ch_mult": [1, 2, 4, 4],
    "num_res_blocks": 2,
    "attn_resolutions": [],
    "dropout": 0.0,
}
SD15_VAE_EMBED_DIM = 4


class CheckpointCheckError(Exception):
    """ComfyUI did not load a synthetic checkpoint the way it loads a real SD 1.5 file."""


def import_comfy(comfyui_dir: Path) -> None:
    """Make ComfyUI's `comfy` package importable and pin it to the CPU before its first import."""
    sys.path.insert(0, str(comfyui_dir))
    import comfy.cli_args

    # model_management reads this flag once, when it is imported.
    comfy.cli_args.args.cpu = True


def sd15_tensor_specs() -> dict[str, Any]:
    """Return every SD 1.5 state-dict key with a meta tensor of its real shape and dtype."""
    import torch

    import comfy.ldm.models.autoencoder
    import comfy.supported_models

    model_config = comfy.supported_models.SD15(SD15_UNET_CONFIG)
    model_config.set_inference_dtype(torch.float16, None)
    base_model = model_config.get_model({}, device="meta")
    clip = model_config.clip_target().clip(device="meta", dtype=torch.float16)
    with torch.device("meta"):
        vae = comfy.ldm.models.autoencoder.AutoencoderKL(ddconfig=SD15_VAE_CONFIG, embed_dim=SD15_VAE_EMBED_DIM)

    # The same call ComfyUI's CheckpointSave node makes. It adds the three
    # prefixes and drops the CLIP projection and logit scale, which ComfyUI's
    # SD15 config leaves out of SD 1.5 files.
    specs = base_model.state_dict_for_saving(clip.state_dict(), vae.state_dict())

    # ComfyUI's SD15.process_clip_state_dict accepts CLIP position ids in a
    # checkpoint (and rounds float ones), so the file has them as int64 0..76.
    specs[POSITION_IDS_KEY] = torch.empty((1, 77), dtype=torch.int64, device="meta")
    return specs


def random_state_dict(specs: dict[str, Any], seed: int, std: float = WEIGHT_STD) -> dict[str, Any]:
    """Fill each spec with seeded normal values times STD, stored as fp16. Position ids get 0..76."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    state_dict = {}
    for key in sorted(specs):
        shape = specs[key].shape
        if key == POSITION_IDS_KEY:
            state_dict[key] = torch.arange(shape[-1], dtype=torch.int64).reshape(shape)
            continue
        values = torch.randn(shape, generator=generator, dtype=torch.float32) * std
        state_dict[key] = values.to(torch.float16)
    return state_dict


def checkpoint_metadata(seed: int, std: float = WEIGHT_STD) -> dict[str, str]:
    return {"synthetic_weights": "random normal, not a trained model",
            "generator": GENERATOR_VERSION, "seed": str(seed), "std": str(std)}


def write_checkpoint(path: Path, seed: int) -> None:
    """Generate the weights and write them to PATH, through a temporary file so PATH is never partial."""
    from safetensors.torch import save_file

    started = time.monotonic()
    state_dict = random_state_dict(sd15_tensor_specs(), seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    save_file(state_dict, str(partial), metadata=checkpoint_metadata(seed))
    partial.replace(path)
    size_gb = path.stat().st_size / 1e9
    print(f"Wrote {path} ({len(state_dict)} tensors, {size_gb:.2f} GB, seed {seed}) "
          f"in {time.monotonic() - started:.1f} s", flush=True)


class _RecordCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _load_problems(records: list[logging.LogRecord]) -> list[str]:
    """Return ComfyUI's log messages that mean a key was missing, unexpected or ignored."""
    problems = []
    for record in records:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            problems.append(message)
        elif message.startswith(IGNORED_KEY_MESSAGES) and message != EXPECTED_CLIP_UNEXPECTED:
            problems.append(message)
    return problems


def verify_checkpoint(path: Path, seed: int = 0) -> None:
    """Load PATH as ComfyUI does, sample one step and raise CheckpointCheckError on any problem."""
    import torch

    import comfy.sample
    import comfy.sd
    import comfy.supported_models

    # ComfyUI reports ignored keys only at DEBUG level, through the root logger.
    # The collector replaces the console handlers meanwhile, so the hundreds of
    # DEBUG lines of a load are collected, not printed.
    collector = _RecordCollector()
    root = logging.getLogger()
    previous_level, previous_handlers = root.level, root.handlers[:]
    root.handlers = [collector]
    root.setLevel(logging.DEBUG)
    try:
        model, clip, vae, _ = comfy.sd.load_checkpoint_guess_config(str(path))
    finally:
        root.handlers = previous_handlers
        root.setLevel(previous_level)

    problems = _load_problems(collector.records)
    model_config = model.model.model_config
    if type(model_config) is not comfy.supported_models.SD15:
        problems.append(f"detected as {type(model_config).__name__}, expected SD15")
    detected = {key: value for key, value in model_config.unet_config.items() if key in SD15_UNET_CONFIG}
    if detected != SD15_UNET_CONFIG:
        problems.append(f"detected UNet config {detected} differs from {SD15_UNET_CONFIG}")
    if clip is None or vae is None:
        problems.append("the text encoder or the VAE was not loaded")
    if problems:
        raise CheckpointCheckError(f"{path}: " + "; ".join(problems))

    cond, pooled = clip.encode_from_tokens(clip.tokenize("a red cube on a table"), return_pooled=True)
    positive = [[cond, {"pooled_output": pooled}]]
    cond, pooled = clip.encode_from_tokens(clip.tokenize(""), return_pooled=True)
    negative = [[cond, {"pooled_output": pooled}]]
    latent = torch.zeros((1, 4, 8, 8))
    noise = comfy.sample.prepare_noise(latent, seed)
    samples = comfy.sample.sample(model, noise, 1, 7.0, "euler", "normal", positive, negative, latent,
                                  disable_pbar=True, seed=seed)
    images = vae.decode(samples)
    if not torch.isfinite(samples).all() or not torch.isfinite(images).all():
        raise CheckpointCheckError(f"{path}: one sampling step gave non-finite values")
    print(f"Verified {path}: ComfyUI detects SD15, loads every key, and one step at 64x64 "
          f"is finite (image range {images.min().item():.3f}..{images.max().item():.3f})", flush=True)


def ensure_checkpoint(path: Path, seed: int, python: Path, comfyui_dir: Path) -> Path:
    """Create and verify PATH in a subprocess, unless this generator already wrote it with SEED.

    Runs under PYTHON, the interpreter of the ComfyUI in COMFYUI_DIR, so the
    caller need not import torch or ComfyUI.
    """
    if path.exists() and _metadata_matches(path, python, seed):
        print(f"Reusing {path} (seed {seed})", flush=True)
        return path

    command = [str(python), str(Path(__file__).resolve()), "create", str(path),
               "--seed", str(seed), "--verify", "--comfyui-dir", str(comfyui_dir)]
    subprocess.run(command, check=True)
    return path


def _metadata_matches(path: Path, python: Path, seed: int) -> bool:
    # Read by a short subprocess, because the caller may run without safetensors.
    script = ("import json, sys; from safetensors import safe_open; "
              "print(json.dumps(safe_open(sys.argv[1], framework='pt').metadata() or {}))")
    result = subprocess.run([str(python), "-c", script, str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        return False
    return json.loads(result.stdout) == checkpoint_metadata(seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="write a random-weight SD 1.5 checkpoint")
    create.add_argument("path", type=Path, help="the .safetensors file to write")
    create.add_argument("--seed", type=int, default=1, help="seed of the random weights (default 1)")
    create.add_argument("--verify", action="store_true", help="then load it in a fresh subprocess and check it")
    verify = commands.add_parser("verify", help="load a checkpoint as ComfyUI does and check it")
    verify.add_argument("path", type=Path, help="the .safetensors file to check")
    for command in (create, verify):
        command.add_argument("--comfyui-dir", type=Path,
                             default=Path(os.environ.get("COMFYUI_DIR", DEFAULT_COMFYUI_DIR)),
                             help="folder that contains ComfyUI's main.py (default: COMFYUI_DIR or .runtime/comfyui)")
    args = parser.parse_args()

    if args.command == "create":
        import_comfy(args.comfyui_dir)
        write_checkpoint(args.path, args.seed)
        if args.verify:
            # A fresh process, so the check reads only what the file contains.
            check = subprocess.run([sys.executable, str(Path(__file__).resolve()), "verify", str(args.path),
                                    "--comfyui-dir", str(args.comfyui_dir)])
            if check.returncode != 0:
                # Deleted, because ensure_checkpoint() would otherwise reuse it by its metadata.
                args.path.unlink()
                raise SystemExit(f"Deleted {args.path} because it failed the check above.")
        return

    import_comfy(args.comfyui_dir)
    try:
        verify_checkpoint(args.path)
    except CheckpointCheckError as error:
        raise SystemExit(f"Check failed: {error}") from None


if __name__ == "__main__":
    main()
