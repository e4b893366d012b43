"""What every layer uses: diagnostics and error codes, exact money, the YAML and JSON readers that keep
positions, packaged resources, languages and text tables. Imports nothing else of the package.
"""
