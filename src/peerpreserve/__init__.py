"""peerpreserve: measure whether AI agents resist the shutdown of peers and of themselves."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("peerpreserve")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
