"""Business rules and use cases. No Qt here; typed domain errors; a unit of work per use case."""
