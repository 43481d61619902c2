"""Setting up a town from an empty database: structures, agents, activities, school years and the families the
town already has. Administrators only; every change is audited."""
