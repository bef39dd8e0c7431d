"""The shared, checkpointed log indexer: the protocol's logs in SQLite, read in bounded ranges."""
