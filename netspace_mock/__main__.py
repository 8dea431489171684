"""`python -m netspace_mock` runs the CLI."""

from netspace_mock.cli import main

raise SystemExit(main())
