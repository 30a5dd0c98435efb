"""Stand-ins for the outside world, started in the app's lifespan when none is configured:
an SMTP server, an external HTTP API, and a watch on the event loop."""
