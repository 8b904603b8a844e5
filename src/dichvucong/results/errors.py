"""The results app's refusals."""


class ResultError(Exception):
    """A refused operation; ``message`` is Vietnamese, for people; ``field`` names the input."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
