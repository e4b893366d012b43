"""The household record: the validator that turns a record into a ``Household`` (``record``) and
generated households for property tests (``strategies``).
"""
