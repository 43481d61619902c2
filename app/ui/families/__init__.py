"""Families: the search list, the family page and the dialogs that collect a family's or a child's fields."""
