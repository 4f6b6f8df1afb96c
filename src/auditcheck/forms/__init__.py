"""The forms units already hold (自评表, 部门整体自评表, 绩效目标表) read as project records.

``read_forms`` reads .xlsx, .xls and .docx files into records with the record model's
field names and the cell of every value; ``write_batch`` writes them as a batch folder;
``looks_like_form`` tells a form workbook from a table with a row per project.
"""

from auditcheck.forms.grid import CellRef, FormError
from auditcheck.forms.read import read_forms
from auditcheck.forms.record import FormRecord
from auditcheck.forms.workbook import looks_like_form
from auditcheck.forms.write import write_batch

__all__ = ["CellRef", "FormError", "FormRecord", "looks_like_form", "read_forms", "write_batch"]
