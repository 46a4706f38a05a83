# English dates as 2026-11-30 and 2026-11-30 14:05 (UTC, TIME_ZONE): half the width of
# "Nov. 30, 2026, 2:05 p.m.", so that the admin's lists fit a screen, and sortable by eye.
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
