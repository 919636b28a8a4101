"""Figures, the annual report (HTML and Word), partnership feedback sheets and provenance."""
