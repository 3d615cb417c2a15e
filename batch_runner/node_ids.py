"""Node class ids of this extension. Shared workflows store them: never rename one."""

SOURCE = "BatchRunnerSource"
FIELD = "BatchRunnerField"
TEMPLATE = "BatchRunnerTemplate"
SAVE = "BatchRunnerSave"

ROW_TYPE = "BATCH_ROW"
# The source node's hidden input that a batch fills with the job's row. It is
# part of the prompt, so history, PNG metadata and the cache key all carry it.
ROW_INPUT = "batch_row"
ROW_INPUT_TYPE = "BATCH_ROW_JSON"

FIELD_OUTPUTS = ("STRING", "INT", "FLOAT", "BOOLEAN")
