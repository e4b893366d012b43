"""The rules language: syntax tree, parser, formatter, types, built-in functions, the household
fields as rules see them, the type checker and the order rules are evaluated in.
"""
