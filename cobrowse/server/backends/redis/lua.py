"""The Lua scripts of the Redis backend, one ``.lua`` file each in ``scripts/``.

Public names:

- ``register(client, name)``: script ``scripts/NAME.lua`` on ``client`` (redis-py's
  ``AsyncScript``: called by its SHA, loaded again by itself when Redis lost it).
"""

from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript


def register(client: aioredis.Redis, name: str) -> AsyncScript:
    source = resources.files(__package__).joinpath("scripts", name + ".lua").read_text(encoding="utf-8")
    return client.register_script(source)
