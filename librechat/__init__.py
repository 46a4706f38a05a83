"""LibreChat's collections as this tool sees them (the bottom layer; it imports nothing of ours).

Unmanaged models routed to the `librechat` alias, the document shapes we read and write, the queries
over them, credit parsing and formatting, and the MongoDB connection.
"""
