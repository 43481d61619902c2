"""The town's set-up: the first-run assistant, the administration panels, the families' import, the audit journal."""
