"""Sphinx extension: the book's build never waits on a kernel's message that
has already arrived.

The build runs every notebook through nbclient, which waits for a kernel's
messages with ``await socket.poll(timeout)`` on pyzmq's asyncio sockets, for as
long as the cell may take (or for ever, on the output channel). Now and then,
on a busy machine, that wait misses the wake-up of a message that has arrived:
the kernel sits idle, its reply unread, until the cell's whole time limit runs
out (seen here: a build stuck for 10 minutes in a 3-second notebook). A new
``poll`` looks at the socket's ready state as it starts, so this module waits
in slices of half a second instead: a missed wake-up then costs at most that.

``install()`` applies it (the Colab test's runner calls it too); as a Sphinx
extension (``_config.yml``, ``local_extensions``) it is installed when the
build starts, before any notebook runs.
"""
import time
from queue import Empty

from jupyter_client.channels import AsyncZMQSocketChannel

#: The longest single wait for a message, in seconds.
SLICE = 0.5


async def get_msg(self, timeout=None):
    """A message from the channel within ``timeout`` seconds (None: no
    limit), else ``queue.Empty``: jupyter_client's ``get_msg``, waiting in
    slices of :data:`SLICE`."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SLICE if deadline is None else deadline - time.monotonic()
        if await self.socket.poll(int(max(0.0, min(SLICE, left)) * 1000)):
            return await self._recv()
        if deadline is not None and time.monotonic() >= deadline:
            raise Empty


def install():
    """Make every asyncio kernel client wait in slices."""
    AsyncZMQSocketChannel.get_msg = get_msg


def setup(app):
    install()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
