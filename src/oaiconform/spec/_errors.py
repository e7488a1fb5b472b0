class SpecError(Exception):
    """The description cannot be used: not JSON/YAML, not OpenAPI 3.x, or a checksum mismatch.

    Its message is shown to the user as is (exit code 2), so it must say what to do.
    """


class SpecUnavailableError(SpecError):
    """No description could be found or downloaded (offline with an empty cache)."""
