"""Policy files and trees: the model, the loader, dated values, clauses and citations, the JSON
schemas, the contract's names and resolution of a region's chain on a date.
"""
