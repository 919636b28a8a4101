"""The annual report's sections, one module each; `report.content` puts them in order."""
