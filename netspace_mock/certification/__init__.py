"""The certification suite: the guide's tests run against any operator webhook, from the API or the CLI."""
