"""Pydantic response models of the JSON API, one module per resource."""
