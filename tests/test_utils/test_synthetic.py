"""The held-out piecewise-constant pictures of tools/piecewise_check.py."""

import numpy as np

from dynaseg.testing import CHECK_SIZES, random_piecewise_image


def test_random_piecewise_images_are_seeded_and_as_described():
    for seed in range(1000, 1012):
        image, regions = random_piecewise_image(seed)
        again, same = random_piecewise_image(seed)
        assert np.array_equal(image, again) and np.array_equal(regions, same)
        assert image.dtype == np.uint8 and image.shape == (*regions.shape, 3)
        assert regions.shape in CHECK_SIZES
        k = regions.max() + 1
        assert 3 <= k <= 5 and np.array_equal(np.unique(regions), np.arange(k))
        # Flat regions under mild noise and a gentle gradient: each region's colour spread is
        # far below the distance between region colours.
        means = np.array([image[regions == r].mean(axis=0) for r in range(k)])
        gaps = np.linalg.norm(means[:, None] - means[None], axis=-1)[np.triu_indices(k, 1)]
        spread = max(image[regions == r].std(axis=0).max() for r in range(k))
        assert 4 < spread < 15 and gaps.min() > 4 * spread
    assert not np.array_equal(random_piecewise_image(1)[1], random_piecewise_image(2)[1])
