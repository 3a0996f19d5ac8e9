"""Scheduling over HTTP: routes, request bodies, views, webhooks and reminders."""
