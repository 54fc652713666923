"""The worker pool's shards: every item once, in order, none over the size asked, and
small at the end, so no worker is left alone with a large shard while the others wait."""

from __future__ import annotations

from hypothesis import given, strategies as st

from promptlint.workers import _shards


@given(st.integers(0, 5000), st.integers(1, 8), st.integers(1, 400))
def test_every_item_once_in_order_within_the_size(count, workers, largest):
    shards = list(_shards(count, workers, largest))
    assert [i for shard in shards for i in shard] == list(range(count))
    assert all(1 <= len(shard) <= largest for shard in shards)


@given(st.integers(50, 5000), st.integers(2, 8))
def test_the_last_shards_are_small(count, workers):
    shards = list(_shards(count, workers, max(1, count // (workers * 4))))
    sizes = [len(s) for s in shards]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-1] == 1
    assert sum(sizes[-workers:]) <= workers * 2  # the tail is a file or two per worker
