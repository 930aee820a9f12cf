"""`python -m paysim_app <command>`; see paysim_app/cli.py."""

from paysim_app.cli import main

raise SystemExit(main())
