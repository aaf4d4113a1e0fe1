"""Small helpers shared by the package: image reading, atomic file output, label maps."""
