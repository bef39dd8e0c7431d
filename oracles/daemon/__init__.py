"""Long-lived daemon plumbing: the watch loop and its shutdown, structured logs, metrics."""
