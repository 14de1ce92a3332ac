"""What goes wrong on the channel: a malformed message, a value that cannot be carried, a closed or silent peer."""

from __future__ import annotations


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed, allowed message."""


class EncodeError(ProtocolError):
    """A value cannot be carried (unsupported type, object array, too big or too deep)."""


class ChannelClosed(ProtocolError):
    """The other side closed its end (usually: the process died)."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


class MessageTooLarge(ProtocolError):
    """A message bigger than the reader's `limit` (see FrameReader.read)."""
