"""Reminders, subscriptions, broadcasts and the rate-limited sender (APScheduler 3.11).

Empty until the scheduler issue lands; the folder exists so the layout matches the design.
"""
