"""The family portal (issue 20): a web application over the same services and database as the counters."""
