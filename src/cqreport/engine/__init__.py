"""The engine: from the notebook to checked HTML and PDF under ``reports/``.

``pipeline`` plans and runs the builds (one or a batch) and writes the index.
"""
