"""The JSON API (django-ninja) and its keys: balance routes and analytics routes."""
