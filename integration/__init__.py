"""The layer that touches ComfyUI: its queue, history, node classes, folders and routes."""
