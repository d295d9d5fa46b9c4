"""The workforce REST API (v1): employees, posts, org units, events."""
