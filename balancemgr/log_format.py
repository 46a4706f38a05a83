"""The JSON log line shape, shared by Django's LOGGING and gunicorn's config."""

JSON_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    # An ISO 8601 UTC time under "time".
    "timestamp": "time",
}
