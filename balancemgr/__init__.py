"""The project: settings, root URLs, WSGI, the admin site, health and middleware. No app imports it."""
