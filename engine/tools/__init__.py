"""What people do with the engine: explain, diff, consistency, worked cases and their reports,
parameter workbooks, region documents and README facts, the pytest plugin.
"""
