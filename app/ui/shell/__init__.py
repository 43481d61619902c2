"""The shell: start-up and login, the main window and its top bar, settings, live refresh, screenshots."""
