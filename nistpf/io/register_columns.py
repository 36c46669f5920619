"""The gap register's columns the client fills, shared by the register's writer and reader
(``nistpf.export``) and the engagement store, which keeps what the client wrote."""

from __future__ import annotations

# A register row's status, as its dropdown offers them; a new row is Open.
STATUSES = ("Open", "In progress", "Done", "Risk accepted")
DEFAULT_STATUS = STATUSES[0]
# The columns the client fills, in the order of the register and of read_register_edits.
EDIT_COLUMNS = ("subcategory", "recommended_action", "owner", "due_date", "status", "comments")
EDIT_HEADERS = {
    "subcategory": "Subcategory",
    "recommended_action": "Recommended action",
    "owner": "Owner",
    "due_date": "Due date",
    "status": "Status",
    "comments": "Comments",
}
