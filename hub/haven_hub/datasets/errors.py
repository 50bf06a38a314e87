"""One exception type for everything an administrator must fix; the CLI prints its message."""


class DatasetError(Exception):
    """Bad input or a catalogue problem, with a message that says what to do."""


class SourceChanged(DatasetError):
    """The source file changed while it was being copied into the catalogue."""
