"""Printed documents (reportlab): one small toolkit (styles, letterhead, tables, page numbers) for all of them."""
