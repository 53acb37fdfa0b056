"""tools/kernel_wait.py: a kernel message whose wake-up the wait missed is
read within half a second, not when the cell's time limit runs out."""
import asyncio
import pathlib
import sys
import time
from queue import Empty

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import kernel_wait  # noqa: E402


class _MissesFirstWakeUp:
    """A socket whose message is there from the start, but whose first
    ``poll`` misses it and waits its whole timeout (as pyzmq's asyncio poller
    now and then does); later polls see it at once."""

    def __init__(self, has_message=True):
        self.polls, self.has_message = [], has_message

    async def poll(self, timeout_ms):
        self.polls.append(timeout_ms)
        if len(self.polls) == 1 or not self.has_message:
            await asyncio.sleep(timeout_ms / 1000)
            return 0
        return 1


class _Channel:
    get_msg = kernel_wait.get_msg

    def __init__(self, socket):
        self.socket = socket

    async def _recv(self):
        return {"msg_type": "execute_reply"}


def test_a_missed_wake_up_costs_half_a_second_not_the_timeout():
    channel = _Channel(_MissesFirstWakeUp())
    start = time.monotonic()
    msg = asyncio.run(channel.get_msg(timeout=30))
    assert msg == {"msg_type": "execute_reply"}
    assert time.monotonic() - start < 5
    assert channel.socket.polls[0] <= kernel_wait.SLICE * 1000


def test_no_limit_still_waits_in_slices():
    channel = _Channel(_MissesFirstWakeUp())
    assert asyncio.run(channel.get_msg(timeout=None))["msg_type"] == "execute_reply"
    assert channel.socket.polls[0] == kernel_wait.SLICE * 1000


def test_no_message_raises_empty_at_the_timeout():
    channel = _Channel(_MissesFirstWakeUp(has_message=False))
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=1.2))
    assert 1.1 < time.monotonic() - start < 10
    assert len(channel.socket.polls) >= 3


def test_installed_into_jupyter_client():
    from jupyter_client.channels import AsyncZMQSocketChannel

    kernel_wait.install()
    assert AsyncZMQSocketChannel.get_msg is kernel_wait.get_msg
