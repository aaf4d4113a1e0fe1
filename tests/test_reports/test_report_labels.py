"""dynaseg.reports.labels: row labels read from the model config, levers as the difference
from the authors' model."""

from __future__ import annotations

from dynaseg.reports import labels, runs


def test_schedule_text_names_the_working_size() -> None:
    text = labels.schedule_text
    assert text({'schedule': {'max_iters': 1000, 'min_labels': 3}}) == (
        'full size, up to 1000 it, stop q <= 3'
    )
    faithful_40k = {'schedule': {'max_iters': 1000, 'min_labels': 3, 'max_pixels': 40000}}
    assert text(faithful_40k) == '<= 40,000 px, up to 1000 it, stop q <= 3'
    fast = dict(max_iters=1000, min_labels=3, patience=40, coarse_max_pixels=40000)
    assert text({'schedule': {**fast, 'max_pixels': 500000}}).startswith('fast: <= 40,000 px')


def test_mode_labels_come_from_the_model_config() -> None:
    model = {'type': 'DynaSeg', 'loss': {'weight': {'type': 'FSFWeight', 'mu': 15}}}
    assert labels.mode_label(model) == 'per image, random init'
    warm = dict(model, checkpoint='some/where/net.pth')
    assert labels.mode_label(warm) == 'warm start from net.pth'
    one = dict(model, type='DynaSegReferenceImage', checkpoint='a/ref.pth')
    assert labels.mode_label(one) == 'one pass (DynaSegReferenceImage, ref.pth)'


def test_levers_are_the_difference_from_the_authors_model() -> None:
    """Every key a run sets away from the authors' model is named, those of other columns not;
    a classical baseline is its type and parameters."""

    def levers(config: str, *options: str) -> str:
        return labels.levers_label(runs.Run(config, options).cfg.model.to_dict())

    authors = labels.AUTHORS_CONFIG
    assert levers(authors) == labels.NO_LEVERS
    assert levers(authors, 'model.schedule.patience=20') == 'schedule.patience=20'
    assert levers(authors, 'model.schedule.min_labels=6') == 'schedule.min_labels=6'
    assert levers(authors, 'model.schedule.silhouette_stop=True') == (
        'schedule.silhouette_stop=True'
    )
    assert levers(authors, 'model.num_segments=5') == 'num_segments=5'
    plateau = (
        'model.schedule.patience=None',
        'model.schedule.loss_plateau.window=20',
        'model.schedule.loss_plateau.rel_tol=0.001',
    )
    assert levers(authors, *plateau) == (
        'schedule.patience=None, schedule.loss_plateau.window=20, '
        'schedule.loss_plateau.rel_tol=0.001'
    )
    default = runs.load_spec('default').runs[1]  # the default with model.seed=1
    assert default.name == 'dynaseg-fsf_cnn-m2_quick_bsds500_replicate-edge-fh_seed1'
    assert levers(default.config, *default.options) == (
        'replicate padding, edge-aware continuity s=0.15, seed 1, schedule.patience=10, '
        'refined: vote Felzenszwalb(scale=200, sigma=0.5, min_size=20) + overlay '
        'Felzenszwalb(scale=600, sigma=0.5, min_size=30)'
    )
    # Weighting, mu, extractor and the Silhouette phase have columns of their own.
    other_columns = ('model.loss.weight.mu=30', 'model.backbone.num_convs=3')
    assert levers(authors, *other_columns, 'model.silhouette.enabled=False') == labels.NO_LEVERS
    baseline = {'type': 'FelzenszwalbSegmentor', 'data_preprocessor': {}, 'scale': 300.0}
    assert labels.levers_label({**baseline, 'min_size': 30}) == (
        'FelzenszwalbSegmentor scale=300 min_size=30'
    )
