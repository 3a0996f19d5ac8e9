"""Calls over HTTP: the rooms API that programmes use to create 1:1 rooms."""
