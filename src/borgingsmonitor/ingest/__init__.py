"""Ingestion adapters, one per survey tool, behind one interface (`Adapter.read` -> `RawExport`)."""

from borgingsmonitor.ingest.base import Adapter, RawExport
from borgingsmonitor.ingest.delimited import Delimited
from borgingsmonitor.ingest.limesurvey import LimeSurvey
from borgingsmonitor.ingest.msforms import MicrosoftForms
from borgingsmonitor.ingest.qualtrics import Qualtrics
from borgingsmonitor.ingest.spss import Spss

ADAPTERS: dict[str, Adapter] = {a.tool: a for a in (LimeSurvey(), MicrosoftForms(), Qualtrics(), Spss(), Delimited())}

__all__ = ["ADAPTERS", "Adapter", "RawExport"]
