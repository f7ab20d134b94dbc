import os
import tempfile

from hypothesis import settings

# Tests never touch the user's ~/.fastbt: the whole session (and the CLI
# subprocesses it starts) uses a fresh data directory.
os.environ["FASTBT_HOME"] = tempfile.mkdtemp(prefix="fastbt-test-home-")

# The default profile runs every property test with at least 200 examples;
# HYPOTHESIS_PROFILE=thorough runs more.
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
