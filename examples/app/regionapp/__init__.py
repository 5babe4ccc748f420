"""The reference application of multiregion.dr: a region-aware client of the DR stack (examples/app/README.md)."""
