"""Usage analytics: hourly rollups of LibreChat's transactions, reports and admin pages."""
