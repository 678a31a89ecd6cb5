"""The exception the tools turn into one line on stderr and exit status 2."""


class UserInputError(Exception):
    """A missing file or wrong value given on the command line or in a config."""
