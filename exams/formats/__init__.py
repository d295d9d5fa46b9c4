"""Question file formats: the xlsx template (``xlsx``), Moodle XML (``moodle``)
and GIFT (``gift``). Each reader turns a file into a :class:`~.common.ParsedFile`
of question drafts, skipped items and problems; none of them writes anything.
``exams.importing`` checks the drafts against the bank and writes them."""

from .common import FORMAT_CHOICES, FORMATS, ParsedFile, detect_format


def parse_file(data: bytes, filename: str, fmt: str) -> ParsedFile:
    """Read ``data`` in format ``fmt`` (one of FORMATS)."""
    if fmt == "xlsx":
        from . import xlsx

        return xlsx.parse(data, filename)
    if fmt == "moodle-xml":
        from . import moodle

        return moodle.parse(data, filename)
    if fmt == "gift":
        from . import gift

        return gift.parse(data, filename)
    raise ValueError(f"unknown question format {fmt!r}")


__all__ = ["FORMATS", "FORMAT_CHOICES", "ParsedFile", "detect_format", "parse_file"]
