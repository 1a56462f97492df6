"""HTTP routes: ``<resource>.py`` for the JSON API, ``<resource>_pages.py`` for HTML pages."""
