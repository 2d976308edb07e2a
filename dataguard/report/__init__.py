"""Reports: the result objects users hold, and their renderings (JSON, terminal).

Rendering is separate from computing: :class:`ProfileReport` holds the profile and the
findings; ``_terminal`` draws it with rich; ``to_dict`` is the versioned JSON document
described by ``schemas/profile-report.schema.json``.
"""

from dataguard.report._report import SCHEMA_VERSION, ProfileReport

__all__ = ["SCHEMA_VERSION", "ProfileReport"]
