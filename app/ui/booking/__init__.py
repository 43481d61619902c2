"""Booking at the counter: the Réservation tab, the month calendar, the recap and its outcome, copying, attendance."""
