"""(a) of the benchmark: read and validate every record, check nothing."""

import sys
from pathlib import Path

from auditcheck.records.load import LoadedRecord, iter_records

count = sum(isinstance(item, LoadedRecord) for item in iter_records([Path(sys.argv[1])]))
print(count)
