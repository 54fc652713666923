"""ACME support assistant."""
