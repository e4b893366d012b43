"""Whole caseloads: tables and spreadsheets read column by column, the column-wise validator, the
columnar compiler, writers with atomic outputs, and Dask.
"""
