from rest_framework.pagination import CursorPagination, PageNumberPagination


class DefaultPageNumberPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class DefaultCursorPagination(CursorPagination):
    """For lists that grow without bound: no COUNT(*), stable under inserts."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering: str | tuple[str, ...] = "-id"
