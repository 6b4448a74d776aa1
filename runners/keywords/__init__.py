"""Keyword lists: the schema and its validation, YAML read safely, spelling variants, importers."""
