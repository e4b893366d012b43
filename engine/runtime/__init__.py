"""One household: the library (a checked tree assembled into programs, with ``--params`` files), the
interpreter (the program, its compiled expressions, one household's evaluation, its tracing), outputs
and which incomes were counted.
"""
