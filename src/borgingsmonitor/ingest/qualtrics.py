"""Qualtrics CSV download: three header rows (codes, question texts, ImportId JSON), or two in legacy exports."""

from __future__ import annotations

from pathlib import Path

from borgingsmonitor.ingest.base import Adapter, FieldDefaults, RawExport
from borgingsmonitor.ingest.readers import read_csv_export
from borgingsmonitor.ingest.sources import Marker, SourceSettings


class Qualtrics(Adapter):
    tool = "qualtrics"
    defaults = FieldDefaults(
        submitted=("RecordedDate", "EndDate"),
        started=("StartDate",),
        duration=("Duration (in seconds)",),
        completed=Marker(("Finished",), ("True", "1", "true")),
        # Response Type as text or code: 1 Survey Preview, 2 Survey Test, 8 Spam, 9 Preview Spam,
        # 12 Imported Spam, 17 Offline Preview (0 IP Address, 4 Imported and 16 Offline are real responses).
        test=Marker(
            ("Status", "DistributionChannel"),
            (
                "Survey Preview",
                "Survey Test",
                "Spam",
                "Preview Spam",
                "Imported Spam",
                "Offline Preview",
                "preview",
                "test",
                "1",
                "2",
                "8",
                "9",
                "12",
                "17",
            ),
        ),
    )

    metadata = (
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "LocationLatitude",
        "LocationLongitude",
        "DistributionChannel",
        "UserLanguage",
        "Q_RecaptchaScore",
        "Q_RelevantIDDuplicate",
        "Q_RelevantIDDuplicateScore",
        "Q_RelevantIDFraudScore",
        "Q_RelevantIDLastStartDate",
    )

    def read(self, path: Path, settings: SourceSettings) -> RawExport:
        encoding, delimiter = settings.encoding, settings.delimiter
        headers, _ = read_csv_export(path, encoding, delimiter, header_rows=3)
        rows = 3 if len(headers) == 3 and headers[2] and headers[2][0].lstrip().startswith('{"ImportId"') else 2
        headers, data = read_csv_export(path, encoding, delimiter, header_rows=rows)
        headings = dict(zip(headers[0], headers[1]))
        return RawExport(path, data, headings=headings)
