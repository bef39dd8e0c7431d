"""The daemons' logic: meter, weather, load and forecast oracles, the keeper, and their durable outbox."""
