"""ComfyUI Batch Runner: run one workflow once per row of a job file, resumably.

ComfyUI imports this file as the pack's module. It registers the nodes, the
/batch-runner/ routes and the web folder, and nothing else. Imported outside
ComfyUI (pytest collects the repository root as a package) it registers nothing.
"""

import importlib.util
import logging

WEB_DIRECTORY = "./web"
NODE_CLASS_MAPPINGS: dict = {}
NODE_DISPLAY_NAME_MAPPINGS: dict = {}

logger = logging.getLogger(__name__)

if importlib.util.find_spec("folder_paths") is not None:
    from server import PromptServer

    from .integration.routes import register_routes
    from .integration.runtime import BatchRuntime, start_when_server_starts
    from .integration.settings import auto_resume_enabled
    from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

    if PromptServer.instance is not None:
        _runtime = BatchRuntime(PromptServer.instance)
        register_routes(PromptServer.instance.routes, _runtime)
        start_when_server_starts(_runtime, auto_resume=auto_resume_enabled())
        logger.info("Batch runner: routes registered under /batch-runner/")

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
