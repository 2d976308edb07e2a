"""Reading: paths and in-memory frames become one stream of Arrow record batches.

Every input dataguard accepts (a parquet file, directory or hive-partitioned dataset, a CSV,
an Arrow IPC/Feather file, a pandas 2/3 or polars frame, an Arrow table) is opened with
:func:`open_source`, which returns a :class:`Source`: a name for messages, the Arrow schema,
the row count when it is known without reading, and :meth:`Source.batches`.
"""

from dataguard.io._atomic import write_text_atomic
from dataguard.io._source import DATA_SUFFIXES, Source, open_source

__all__ = ["DATA_SUFFIXES", "Source", "open_source", "write_text_atomic"]
