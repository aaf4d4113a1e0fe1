# A region hierarchy over the finished labels of every image (dynaseg/hierarchy/criteria.py):
# adjacent connected regions merge in the order of the distance between their mean response
# vectors, as a watershed hierarchy by volume (area x depth), so specks merge first and large,
# distinct regions last; its levels are spread on a log scale, so the benchmark's evenly spaced
# thresholds reach its useful cuts. Chosen on BSDS500 val (docs/log/hierarchy.md). It is a
# top-level key, not a model key: it never changes the label maps. Tools save each image's
# hierarchy as hierarchies/<stem>.mat (a BSDS ucm2) and can write any of its cuts
# (--regions K, --level t).
hierarchy = dict(
    type='MergeHierarchy', tree='volume', features='response', unit_response=True, log_scale=1e-4
)
