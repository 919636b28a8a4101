"""Ingestion adapters, one per survey tool, behind one interface (`Adapter.read` -> `RawExport`)."""

from .base import Adapter, RawExport
from .delimited import Delimited
from .limesurvey import LimeSurvey
from .msforms import MicrosoftForms
from .qualtrics import Qualtrics
from .spss import Spss

ADAPTERS: dict[str, Adapter] = {a.tool: a for a in (LimeSurvey(), MicrosoftForms(), Qualtrics(), Spss(), Delimited())}

__all__ = ["ADAPTERS", "Adapter", "RawExport"]
