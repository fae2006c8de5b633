"""`python -m bench.fleet_load`: see bench/fleet_load/scenario.py."""

from gevent import monkey

monkey.patch_all()  # before anything opens a socket or starts a thread, as Locust requires

import sys  # noqa: E402

from bench.fleet_load.scenario import main  # noqa: E402

sys.exit(main())
