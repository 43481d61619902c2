"""The family portal: a web application over the same services and database as the counters."""
