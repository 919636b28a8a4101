"""Borgingsmonitor: from raw survey exports to the durability monitor's tables and reports."""
