"""The package's exceptions.  The CLI turns them into one-line messages and exit codes."""


class FusioncheckError(Exception):
    """Base class.  ``exit_code`` is what the CLI exits with (1: bad data, 2: usage)."""

    exit_code = 1


class InputError(FusioncheckError):
    """An input file (BAM, CRAM, FASTA, sample sheet) cannot be used as it is."""


class UsageError(FusioncheckError):
    """Options that contradict each other or the input."""

    exit_code = 2


class OutputError(FusioncheckError):
    """A result could not be written."""
