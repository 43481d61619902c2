"""Families: search, creation and edition, the family page's summary, portal access and privacy."""
