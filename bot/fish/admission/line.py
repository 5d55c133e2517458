"""The line of requests waiting for one of the account's Fish slots: first come, first served
within each owner (a server, or a member's DMs), owners taking turns (round-robin), so one server's
narration backlog cannot starve another server's /speak. Requests put back after Fish refused
them (429) go ahead of everyone, in the order they were put back.

Plain data on the event loop: no awaits, no locks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class FairLine(Generic[T]):
    def __init__(self) -> None:
        self._front: deque[T] = deque()
        self._owners: dict[Hashable, deque[T]] = {}  # each waiting owner's FIFO
        self._turns: deque[Hashable] = deque()  # the owners in turn order (the next served first)
        self._owner_of: dict[int, Hashable] = {}  # id(item) → owner, for items in _owners

    def __len__(self) -> int:
        return len(self._front) + sum(len(items) for items in self._owners.values())

    def __bool__(self) -> bool:
        return bool(self._front) or bool(self._owners)

    def push(self, item: T, owner: Hashable, *, front: bool = False) -> None:
        if front:
            self._front.append(item)
            return
        items = self._owners.get(owner)
        if items is None:  # a new owner's turn comes after everyone already waiting
            items = self._owners[owner] = deque()
            self._turns.append(owner)
        items.append(item)
        self._owner_of[id(item)] = owner

    def pop(self) -> T:
        """The next item: a put-back one, else the head of the owner whose turn it is (who then
        goes to the back of the turn order if it has more)."""
        if self._front:
            return self._front.popleft()
        owner = self._turns[0]
        items = self._owners[owner]
        item = items.popleft()
        del self._owner_of[id(item)]
        if items:
            self._turns.rotate(-1)  # to the back of the turn order
        else:
            self._turns.popleft()
            del self._owners[owner]
        return item

    def remove(self, item: T) -> bool:
        """Take `item` out of the line (a waiter that gave up); False if it is not in it."""
        owner = self._owner_of.pop(id(item), None)
        if owner is None:
            try:
                self._front.remove(item)
            except ValueError:
                return False
            return True
        items = self._owners[owner]
        items.remove(item)
        if not items:
            del self._owners[owner]
            self._turns.remove(owner)
        return True

    def position(self, item: T) -> int | None:
        """`item`'s 1-based place: how many pops until it comes out (None: not in the line)."""
        if any(queued is item for queued in self._front):
            return next(i for i, queued in enumerate(self._front) if queued is item) + 1
        owner = self._owner_of.get(id(item))
        if owner is None:
            return None
        index = next(i for i, queued in enumerate(self._owners[owner]) if queued is item)
        ahead = len(self._front)
        before = True  # owners before this one in the turn order get one more turn first
        for other in self._turns:
            items = self._owners[other]
            if other == owner:
                before = False
                continue
            ahead += min(len(items), index + 1 if before else index)
        return ahead + index + 1

    def __iter__(self) -> Iterator[T]:
        """Every item, in no particular order."""
        yield from self._front
        for items in self._owners.values():
            yield from items
