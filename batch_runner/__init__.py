"""Core of ComfyUI Batch Runner: job sources, templates, binding, naming and the run engine.

Nothing in this package imports ComfyUI at module level, so it runs and is
tested without a server. Imports inside the package are relative because
ComfyUI loads the extension under its folder name.
"""

__version__ = "0.1.0"
