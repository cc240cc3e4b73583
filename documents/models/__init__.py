"""Documents: types, registers and numbering, incoming documents (``incoming``), outgoing documents with
their format profiles and signatures (``outgoing``) and the library of published texts (``library``)
(domain.md §2–§3). Written only through ``documents.services``."""

from .incoming import *  # noqa: F403
from .incoming import __all__ as _incoming
from .library import *  # noqa: F403
from .library import __all__ as _library
from .outgoing import *  # noqa: F403
from .outgoing import __all__ as _outgoing

__all__ = [*_incoming, *_outgoing, *_library]
