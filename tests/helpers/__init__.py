"""Helpers shared by several test modules: the rooms, members and commands a test sets up.
Test modules import them from here, never from one another."""
