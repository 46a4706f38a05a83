"""Alerts and reports: low-balance mails to users, a daily digest and operational alerts to admins, and
scheduled usage reports. Everything here is sent through the outbox by the worker, never in a request."""
