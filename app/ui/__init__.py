"""PySide6 widgets, split by feature. Widgets call services through ``operations``; no database session here."""
