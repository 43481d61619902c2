"""Guichet Enfance: counter application for the town's children services (ALAE / ALSH)."""

__version__ = "0.1.0"
APP_NAME = "Guichet Enfance"
