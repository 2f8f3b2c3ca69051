"""OData list queries as the SuperOffice archive answers them: `$filter`, `$select`, `$orderBy`, paging."""
from __future__ import annotations

from .archive import ArchiveList, ListSource
from .filter import FilterError, parse_filter, to_text
from .query import DEFAULT_PAGE_SIZE, ODataQuery, ODataQueryError, parse_query

__all__ = ["ArchiveList", "DEFAULT_PAGE_SIZE", "FilterError", "ListSource", "ODataQuery", "ODataQueryError",
           "parse_filter", "parse_query", "to_text"]
