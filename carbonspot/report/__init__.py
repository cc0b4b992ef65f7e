"""Reports: pick the fastest, the most efficient and the greenest designs and draw them.

Python API::

    from carbonspot.report import load_source, select_designs, compare
    ds = load_source("results.csv")            # or a study name, storage=URL
    picks = select_designs(ds.designs)         # {"fastest": row, "lowest_carbon_ca": row, ...}
    table = compare(ds.designs)                # one row per selection, ratios to the fastest
"""

from carbonspot.report.design_set import DesignSet
from carbonspot.report.select import compare, select_designs, summary_sentences
from carbonspot.report.sources import load_source

__all__ = ["DesignSet", "compare", "load_source", "select_designs", "summary_sentences"]
