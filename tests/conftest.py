import os

from hypothesis import settings

# The default profile runs every property test with at least 200 examples;
# HYPOTHESIS_PROFILE=thorough runs more.
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
