"""goalsync: document-agnostic local-first machinery for Automerge documents.

Storage, the automerge-repo sync protocol, transports and the relay. It knows
documents, peers and bytes, never what the documents mean.
"""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
