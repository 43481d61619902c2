"""End of day: transmission and comptes-rendus, the e-mail outbox and its SMTP sender."""
