"""The multi-party service: the lab and the ROFR holder act on offers with a clock on them,
through an HTTP API that calls the same engines as the CLI."""
