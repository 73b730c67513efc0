# Put on PYTHONPATH of servers started by the tests: blocks non-loopback connections.
import os
import sys

if os.environ.get("GUICHET_NETGUARD") == "1":
    sys.path.insert(0, os.path.dirname(__file__))
    import guard

    guard.install()
