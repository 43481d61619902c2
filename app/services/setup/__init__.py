"""Setting up a town from an empty database (DESIGN.md §2.7): structures, agents, activities, school years and
the families the town already has. Administrators only; every change is audited."""
