"""Read-only store access for the web layer, one module per resource; routes never hold SQL."""
