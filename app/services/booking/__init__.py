"""Booking: the portal's rules, the basket → recap → confirm flow, the reservation lifecycle, waitlists, attendance, copying, the month calendar."""
