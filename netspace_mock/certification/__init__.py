"""The certification suite: the guide's tests run against any operator webhook, from the API or the CLI.

Importing the package registers every case in `registry.SUITE`: the tests of required.py and the
advisory checks of advisories.py then hardening.py (latency last), each in the order written there.
"""

from netspace_mock.certification import advisories, hardening, required  # noqa: F401 - importing registers their cases
