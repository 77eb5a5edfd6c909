"""One module per subcommand; ``cfggen.cli`` imports them only when they are invoked."""
