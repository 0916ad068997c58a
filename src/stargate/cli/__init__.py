"""The command line. :mod:`stargate.cli.main` defines the app and the scenario commands, and adds
the commands that each other module (``broker``, ``plan``, ``sim``, ``trace``) defines; importing
this package registers nothing."""
