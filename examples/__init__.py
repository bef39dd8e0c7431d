"""Example input files and the walkthrough (examples/README.md); `generate.py` writes the files."""
