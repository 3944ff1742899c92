"""The analysis layer: what is computed from the data.

``derive`` (derived figures with their rounding range, cross-checks) and
``quarter`` (what one quarter's report needs: its observations, context,
derived figures and cut-off).
"""
