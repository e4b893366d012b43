"""One household: the library (a checked tree assembled into programs, with ``--params`` files), the
interpreter, evaluation, outputs and which incomes were counted.
"""
