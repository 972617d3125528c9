import os

# google-auth must never probe the metadata server from a test.
os.environ.setdefault("NO_GCE_CHECK", "True")
