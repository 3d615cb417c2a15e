"""Files a run keeps in its folder: spec, job snapshot, checkpoint and manifest."""
