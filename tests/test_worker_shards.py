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


@given(st.lists(st.integers(1, 10**6), max_size=3000), st.integers(1, 8), st.integers(1, 400))
def test_shards_by_weight_hold_at_most_their_share_of_the_work_left(weights, workers, largest):
    shards = list(_shards(len(weights), workers, largest, weights))
    assert [i for shard in shards for i in shard] == list(range(len(weights)))
    assert all(1 <= len(shard) <= largest for shard in shards)
    left = sum(weights)
    for shard in shards:
        work = sum(weights[i] for i in shard)
        assert len(shard) == 1 or work <= left // (2 * workers)
        left -= work


@given(st.lists(st.integers(1, 10**6), min_size=50, max_size=3000), st.integers(2, 8))
def test_with_the_heaviest_first_the_last_shards_hold_the_lightest_work(weights, workers):
    """No worker is left with more than the lightest items once the others are done: the
    last ``workers`` shards hold one item each, and no more work than the lightest."""
    weights = sorted(weights, reverse=True)
    shards = list(_shards(len(weights), workers, max(1, len(weights) // (workers * 4)), weights))
    tail = shards[-workers:]
    assert all(len(shard) == 1 for shard in tail)
    assert all(weights[shard[0]] <= weights[len(weights) // 2] for shard in tail)
